import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { destinationSettings } from "../../delivery/destination-settings.js";
import { XAPI_VERSION } from "../../delivery/lrs-channel.js";
import {
  deleteLrs,
  getLrs,
  LrsDeliverySchema,
  LrsSchema,
  listLrsDeliveries,
  NewLrsSchema,
  putLrs,
} from "../../delivery/lrs-endpoints.js";
import { authErrorResponses } from "../../http/auth-responses.js";
import { pagedList } from "../../http/paged-list.js";
import { clientOf } from "../../plugins/auth.js";
import { MAX_PAGE_SIZE, PageQuerySchema } from "../../schemas/page.js";
import { ProblemSchema } from "../../schemas/problem.js";
import { XapiStatementSchema } from "../../submissions/exports/xapi.js";
import { listFrozenStatements } from "../../submissions/exports/xapi-statement-store.js";

const StatementResultSchema = z
  .object({
    statements: z.array(XapiStatementSchema),
    more: z.string().describe('Relative IRL of the next page; "" when there is none (xAPI StatementResult)'),
  })
  .meta({ id: "XapiStatementResult" });

export const lrsRoutes: FastifyPluginAsyncZod = async (app) => {
  app.put(
    "/v1/lrs",
    {
      config: { scope: "webhooks:manage" },
      schema: {
        tags: ["xapi"],
        summary: "Push every new grade's xAPI statement to this Learning Record Store",
        description:
          "Statements are sent through the outbox in batches to {url}/statements with HTTP Basic credentials " +
          `and X-Experience-API-Version: ${XAPI_VERSION}. The password is stored encrypted (SECRETS_KEY).`,
        body: NewLrsSchema,
        response: {
          200: LrsSchema,
          400: ProblemSchema,
          422: ProblemSchema.describe("The URL points inward, or the server has no SECRETS_KEY to seal the password"),
          ...authErrorResponses,
        },
      },
    },
    async (request) => putLrs(app.storage, clientOf(request).id, request.body, destinationSettings(app.config)),
  );

  app.put(
    "/v1/clients/:id/lrs",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["xapi"],
        summary: "Set another API client's LRS (admin): the same as that client's PUT /v1/lrs",
        params: z.object({ id: z.uuid() }),
        body: NewLrsSchema,
        response: {
          200: LrsSchema,
          400: ProblemSchema,
          404: ProblemSchema,
          422: ProblemSchema.describe("The URL points inward, or the server has no SECRETS_KEY to seal the password"),
          ...authErrorResponses,
        },
      },
    },
    async (request) => putLrs(app.storage, request.params.id, request.body, destinationSettings(app.config)),
  );

  app.get(
    "/v1/lrs",
    {
      config: { scope: "webhooks:manage" },
      schema: {
        tags: ["xapi"],
        summary: "This client's LRS (never its password)",
        response: { 200: LrsSchema, 404: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request) => getLrs(app.storage, clientOf(request).id),
  );

  app.delete(
    "/v1/lrs",
    {
      config: { scope: "webhooks:manage" },
      schema: {
        tags: ["xapi"],
        summary: "Stop pushing statements; pending pushes are dropped",
        response: { 204: z.null(), 404: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      await deleteLrs(app.storage, clientOf(request).id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/v1/lrs/deliveries",
    {
      config: { scope: "webhooks:manage" },
      schema: {
        tags: ["xapi"],
        summary: "Pushes of statements to the LRS, newest first, with their status and attempts",
        ...pagedList(LrsDeliverySchema, "LrsDeliveryPage"),
      },
    },
    async (request) => listLrsDeliveries(app.storage, clientOf(request).id, request.query),
  );

  app.get(
    "/v1/xapi/statements",
    {
      config: { scope: "progress:read" },
      schema: {
        tags: ["xapi"],
        summary: "Every frozen statement of this client's learners, in the order stored, as an LRS answers",
        description:
          "An xAPI StatementResult: follow `more` until it is empty. Statements are those frozen at grading " +
          "time, or at a grade's first export for grades made before statements were stored. " +
          `Cursor-paginated, at most ${MAX_PAGE_SIZE} per page.`,
        querystring: PageQuerySchema,
        response: { 200: StatementResultSchema, 400: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      const found = await listFrozenStatements(app.storage, clientOf(request).id, request.query);
      const more = found.nextCursor
        ? `/v1/xapi/statements?${new URLSearchParams({ limit: String(request.query.limit), cursor: found.nextCursor })}`
        : "";
      reply.header("x-experience-api-version", XAPI_VERSION);
      return { statements: found.items, more };
    },
  );
};
