import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { compiledSerializerCompiler } from "../../../http/compiled-serializer.js";
import { pagedList } from "../../../http/paged-list.js";
import { clientOf } from "../../../plugins/auth.js";
import { ExerciseIdSchema } from "../../../schemas/ids.js";
import { PageQuerySchema } from "../../../schemas/page.js";
import { learnerStatements } from "../../../submissions/export-submission.js";
import { XapiStatementSchema } from "../../../submissions/exports/xapi.js";
import { learnerSubmissions } from "../../../submissions/read-submissions.js";
import { SubmissionSchema } from "../../../submissions/submission-schema.js";
import { LearnerParamsSchema } from "./learner-params.js";

export const learnerSubmissionRoutes: FastifyPluginAsyncZod = async (app) => {
  const submissionDeps = { storage: app.storage, curriculum: app.curriculum, xapiHomePage: app.config.xapiHomePage };
  app.get(
    "/v1/learners/:learnerId/submissions",
    {
      serializerCompiler: compiledSerializerCompiler,
      config: { scope: "progress:read", learnerSession: "own-learner" },
      schema: {
        tags: ["submissions"],
        summary: "A learner's submissions, newest first",
        params: LearnerParamsSchema,
        ...pagedList(SubmissionSchema, "SubmissionPage", {
          query: PageQuerySchema.extend({
            exerciseId: ExerciseIdSchema.optional().describe("Only this exercise's submissions"),
          }),
          notFound: "This API client has no such learner",
        }),
      },
    },
    async (request) => {
      const clientId = clientOf(request).id;
      const { learnerId } = request.params;
      const { exerciseId, ...page } = request.query;
      return learnerSubmissions(submissionDeps, { clientId, learnerId, exerciseId }, page);
    },
  );

  app.get(
    "/v1/learners/:learnerId/statements",
    {
      config: { scope: "progress:read" },
      schema: {
        tags: ["exports"],
        summary: "Every xAPI statement of one learner, oldest first, for import into an LRS",
        params: LearnerParamsSchema,
        ...pagedList(XapiStatementSchema, "XapiStatementPage", {
          note: "One statement per graded submission.",
          notFound: "This API client has no such learner",
        }),
      },
    },
    async (request) => learnerStatements(submissionDeps, clientOf(request), request.params.learnerId, request.query),
  );
};
