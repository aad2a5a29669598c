import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { CLASS_CSV_COLUMNS, classCsv } from "../../classes/class-csv.js";
import {
  ClassLearnerSchema,
  ClassSummarySchema,
  listClassLearners,
  readClassSummary,
  readWholeClass,
} from "../../classes/class-report.js";
import { authErrorResponses } from "../../http/auth-responses.js";
import { LangQuerySchema, negotiateLanguage } from "../../http/negotiate-language.js";
import { pagedList } from "../../http/paged-list.js";
import { sendClassCsv } from "../../lti/class-page.js";
import { clientOf } from "../../plugins/auth.js";
import { PageQuerySchema } from "../../schemas/page.js";
import { ProblemSchema } from "../../schemas/problem.js";

/** A class is one course (LTI context) of one of the client's platforms. */
const ClassParamsSchema = z.object({
  platformId: z.uuid().describe("The platform registration's id"),
  contextId: z.string().min(1).max(255).describe("The course's id on the platform (the LTI context id)"),
});

const NOT_FOUND =
  "This API client has no such platform, or the course has no placement, no learner launch and no roster read yet";

/** The teacher's view for LMS integrations: the same data as the class page, as JSON and CSV. */
export const classRoutes: FastifyPluginAsyncZod = async (app) => {
  const base = "/v1/lti/platforms/:platformId/contexts/:contextId/class";

  app.get(
    base,
    {
      config: { scope: "progress:read" },
      schema: {
        tags: ["lti"],
        summary:
          "A course's class: per exercise placed in it, how many learners passed, attempted or have not started, the median attempts and time to pass, the checks that fail most and the hint shown most",
        params: ClassParamsSchema,
        querystring: LangQuerySchema,
        response: {
          200: ClassSummarySchema,
          400: ProblemSchema,
          404: ProblemSchema.describe(NOT_FOUND),
          ...authErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const language = negotiateLanguage(request, reply, request.query.lang);
      reply.header("cache-control", "no-store");
      return readClassSummary(
        app.storage,
        app.curriculum,
        { clientId: clientOf(request).id, ...request.params },
        language,
      );
    },
  );

  app.get(
    `${base}/learners`,
    {
      config: { scope: "progress:read" },
      schema: {
        tags: ["lti"],
        summary:
          "A course's learners (those who launched, first launch first, then those only its roster lists), each with status, best score and attempts per exercise",
        params: ClassParamsSchema,
        ...pagedList(ClassLearnerSchema, "ClassLearnerPage", { query: PageQuerySchema, notFound: NOT_FOUND }),
      },
    },
    async (request, reply) => {
      reply.header("cache-control", "no-store");
      const ref = { clientId: clientOf(request).id, ...request.params };
      return listClassLearners(app.storage, app.curriculum, ref, request.query);
    },
  );

  app.get(
    `${base}.csv`,
    {
      config: { scope: "progress:read" },
      schema: {
        tags: ["lti"],
        summary: "A course's class as CSV: a header row, then one row per learner and exercise",
        params: ClassParamsSchema,
        response: {
          200: z
            .string()
            .describe(
              `text/csv, as an attachment: ${CLASS_CSV_COLUMNS.join(",")} (learnerId empty for a learner who never launched)`,
            ),
          400: ProblemSchema,
          404: ProblemSchema.describe(NOT_FOUND),
          ...authErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const ref = { clientId: clientOf(request).id, ...request.params };
      const { learners } = await readWholeClass(app.storage, app.curriculum, ref);
      return sendClassCsv(reply, ref.contextId, classCsv(learners));
    },
  );
};
