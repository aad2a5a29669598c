import type { FastifyPluginAsync } from "fastify";
import { labRoutes } from "./lab.js";
import { lessonCompletionRoutes } from "./lesson-completions.js";
import { progressRoutes } from "./progress.js";
import { sandboxRoutes } from "./sandbox.js";
import { sandboxTerminalRoutes } from "./sandbox-terminal.js";
import { learnerSessionRoutes } from "./sessions.js";
import { learnerSubmissionRoutes } from "./submissions.js";

/** Everything under /v1/learners/{learnerId}/…: one learner's grades, progress, completions, lab, sessions and sandbox. */
export const learnerRoutes: FastifyPluginAsync = async (app) => {
  await app.register(learnerSubmissionRoutes);
  await app.register(progressRoutes);
  await app.register(lessonCompletionRoutes);
  await app.register(labRoutes);
  await app.register(learnerSessionRoutes);
  await app.register(sandboxRoutes);
  await app.register(sandboxTerminalRoutes);
};
