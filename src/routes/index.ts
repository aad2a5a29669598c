import type { FastifyPluginAsync } from "fastify";
import { healthRoutes } from "./health.js";
import { ltiRoutes } from "./lti.js";
import { sessionLinkRoutes } from "./session-link.js";
import { classRoutes } from "./v1/classes.js";
import { clientRoutes } from "./v1/clients.js";
import { commandRoutes } from "./v1/commands.js";
import { diagramRoutes } from "./v1/diagrams.js";
import { exerciseRoutes } from "./v1/exercises.js";
import { labEngineRoutes } from "./v1/lab-engines.js";
import { learnerRoutes } from "./v1/learners/index.js";
import { lessonRoutes } from "./v1/lessons.js";
import { lrsRoutes } from "./v1/lrs.js";
import { searchRoutes } from "./v1/search.js";
import { currentSessionRoutes } from "./v1/session.js";
import { submissionRoutes } from "./v1/submissions.js";
import { webhookRoutes } from "./v1/webhooks.js";
import { webRoutes } from "./web.js";

/** Every route of the API. Each file is HTTP only: parse, call a service, shape the reply. */
export const routes: FastifyPluginAsync = async (app) => {
  await app.register(healthRoutes);
  await app.register(async (content) => {
    // The course is public unless REQUIRE_AUTH is on; then these routes need content:read.
    content.addHook("onRoute", (route) => {
      route.config = { ...route.config, scope: route.config?.scope ?? "content:read" };
    });
    await content.register(lessonRoutes);
    await content.register(commandRoutes);
    await content.register(searchRoutes);
    await content.register(diagramRoutes);
  });
  await app.register(clientRoutes);
  await app.register(exerciseRoutes);
  await app.register(submissionRoutes);
  await app.register(learnerRoutes);
  await app.register(labEngineRoutes);
  await app.register(webhookRoutes);
  await app.register(currentSessionRoutes);
  await app.register(sessionLinkRoutes);
  await app.register(webRoutes);
  await app.register(lrsRoutes);
  await app.register(ltiRoutes);
  await app.register(classRoutes);
};
