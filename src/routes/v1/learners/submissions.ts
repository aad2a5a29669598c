import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { compiledSerializerCompiler } from "../../../http/compiled-serializer.js";
import { pagedList } from "../../../http/paged-list.js";
import { requireKnownLearner } from "../../../learners/learners.js";
import { clientOf } from "../../../plugins/auth.js";
import { ExerciseIdSchema } from "../../../schemas/ids.js";
import { PageQuerySchema } from "../../../schemas/page.js";
import { learnerStatements } from "../../../submissions/export-submission.js";
import { XapiStatementSchema } from "../../../submissions/exports/xapi.js";
import { presentSubmission } from "../../../submissions/present-submission.js";
import { SubmissionSchema } from "../../../submissions/submission-schema.js";
import { listSubmissions } from "../../../submissions/submission-store.js";
import { LearnerParamsSchema } from "./learner-params.js";

export const learnerSubmissionRoutes: FastifyPluginAsyncZod = async (app) => {
  const exportDeps = {
    db: app.prisma,
    sql: app.sql,
    curriculum: app.curriculum,
    xapiHomePage: app.config.xapiHomePage,
  };
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
      const found = await listSubmissions(app.sql, { clientId, learnerId, exerciseId, order: "newest" }, page);
      // A submission belongs to a learner of this client, so only an empty page needs the learner check.
      if (found.items.length === 0) await requireKnownLearner(app.prisma, clientId, learnerId);
      return {
        items: found.items.map((stored) => presentSubmission(stored, app.curriculum.exercises.get(stored.exerciseId))),
        nextCursor: found.nextCursor,
      };
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
    async (request) => learnerStatements(exportDeps, clientOf(request), request.params.learnerId, request.query),
  );
};
