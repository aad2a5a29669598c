import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";

/** Generates the OpenAPI 3 document from the routes' zod schemas and serves it with interactive docs. */
export const openApiPlugin = fp(
  async (app: FastifyInstance, options: { version: string; requireAuth: boolean }) => {
    await app.register(swagger, {
      openapi: {
        openapi: "3.1.0",
        info: {
          title: "Aprendiendo Docker API",
          version: options.version,
          description:
            "Lessons of the Spanish tutorial «Aprendiendo Docker» in Spanish and English, a docker command reference, " +
            "and exercises graded on the learner's real containers through the Docker Engine API. " +
            "Every error is application/problem+json (RFC 9457).",
          license: { name: "MIT" },
        },
        tags: [
          { name: "health", description: "Liveness and readiness" },
          { name: "lessons", description: "The course, as JSON for frontends" },
          { name: "commands", description: "Docker command reference" },
          { name: "exercises", description: "Graded exercises and submissions" },
          { name: "learners", description: "Submissions and progress per learner" },
          { name: "clients", description: "API clients and their keys (admin)" },
          { name: "sessions", description: "Learner sessions: a browser's credential for one learner" },
        ],
        components: {
          securitySchemes: {
            apiKey: {
              type: "http",
              scheme: "bearer",
              description: "An API key (adk_…) from POST /v1/clients or `npm run client:create`",
            },
            learnerSession: {
              type: "http",
              scheme: "bearer",
              description: "A learner session's token (ads_…) from POST /v1/learners/{learnerId}/sessions",
            },
            sessionCookie: {
              type: "apiKey",
              in: "cookie",
              name: "aprendiendo_session",
              description: "The HttpOnly cookie set by opening a learner session's url",
            },
          },
        },
      },
      // Routes that declare a scope get the bearer requirement; content stays optional unless REQUIRE_AUTH.
      // Routes that accept learner sessions also list the session's token and cookie.
      transform: (input) => {
        const output = jsonSchemaTransform(input);
        const { scope, learnerSession } = input.route?.config ?? {};
        type Requirement = Record<string, string[]>;
        const sessions: Requirement[] = learnerSession ? [{ learnerSession: [] }, { sessionCookie: [] }] : [];
        if (!scope && sessions.length === 0) return output;
        const bearer: Requirement[] = scope ? [{ apiKey: [] }] : [];
        const security = scope === "content:read" && !options.requireAuth ? [{}, ...bearer] : [...bearer, ...sessions];
        return { ...output, schema: { ...output.schema, security } };
      },
      transformObject: jsonSchemaTransformObject,
    });
    await app.register(swaggerUi, { routePrefix: "/docs" });
    app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  },
  { name: "openapi" },
);
