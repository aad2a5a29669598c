import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  ApiClientSchema,
  createApiClient,
  deleteApiClient,
  listApiClients,
  NewApiClientSchema,
  replaceApiKey,
} from "../../clients/api-clients.js";
import { authErrorResponses } from "../../http/auth-responses.js";
import { pagedList } from "../../http/paged-list.js";
import { ProblemSchema } from "../../schemas/problem.js";

const CreatedApiClientSchema = ApiClientSchema.extend({
  key: z.string().describe("The API key. It is shown only in this response: store it now, it cannot be recovered"),
}).meta({ id: "CreatedApiClient" });

export const clientRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    "/v1/clients",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["clients"],
        summary: "Create an API client and its key (admin)",
        body: NewApiClientSchema,
        response: { 201: CreatedApiClientSchema, 400: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      const { client, key } = await createApiClient(app.storage, request.body);
      reply.header("cache-control", "no-store");
      return reply
        .code(201)
        .header("location", `/v1/clients/${client.id}`)
        .send({ ...client, key });
    },
  );

  app.get(
    "/v1/clients",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["clients"],
        summary: "List API clients, oldest first (admin)",
        ...pagedList(ApiClientSchema, "ApiClientPage", { note: "Keys are never shown again." }),
      },
    },
    async (request) => listApiClients(app.storage, request.query),
  );

  app.delete(
    "/v1/clients/:id",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["clients"],
        summary:
          "Revoke an API client: its key stops working at once here, within CACHE_TTL_MS on other replicas (admin)",
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null().describe("Revoked"), 400: ProblemSchema, 404: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      await deleteApiClient(app.storage, request.params.id);
      app.apiKeys.forget(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/v1/clients/:id/key",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["clients"],
        summary:
          "Replace an API client's key: the new key is shown once, the old one stops working at once here and within CACHE_TTL_MS on other replicas. A client made by LTI Dynamic Registration gets its first key this way (admin)",
        params: z.object({ id: z.uuid() }),
        response: {
          200: CreatedApiClientSchema,
          400: ProblemSchema,
          404: ProblemSchema.describe("No such client, or it was revoked"),
          ...authErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const { client, key } = await replaceApiKey(app.storage, request.params.id);
      app.apiKeys.forget(client.id);
      reply.header("cache-control", "no-store");
      return { ...client, key };
    },
  );
};
