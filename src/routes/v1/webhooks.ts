import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { destinationSettings } from "../../delivery/destination-settings.js";
import { SIGNATURE_HEADER } from "../../delivery/signature.js";
import {
  createWebhook,
  deleteWebhook,
  listDeliveries,
  listWebhooks,
  NewWebhookSchema,
  WebhookDeliverySchema,
  WebhookSchema,
} from "../../delivery/webhook-endpoints.js";
import { authErrorResponses } from "../../http/auth-responses.js";
import { pagedList } from "../../http/paged-list.js";
import { clientOf } from "../../plugins/auth.js";
import { ProblemSchema } from "../../schemas/problem.js";

const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z
    .string()
    .describe(
      `HMAC-SHA256 key for the ${SIGNATURE_HEADER} header (t=<unix seconds>,v1=<hex HMAC of "<t>.<body>">) ` +
        'and, base64-decoded after whsec_, for webhook-signature (v1,<base64 HMAC of "<id>.<t>.<body>">). ' +
        "Shown only in this response.",
    ),
}).meta({ id: "CreatedWebhook" });

const IdParams = z.object({ id: z.uuid() });

export const webhookRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    "/v1/webhooks",
    {
      config: { scope: "webhooks:manage" },
      schema: {
        tags: ["webhooks"],
        summary: "Subscribe a URL to submission.graded, exercise.passed and/or lesson.completed",
        description:
          "Each delivery is a POST with a JSON WebhookPayload, signed in the " +
          `${SIGNATURE_HEADER} header (Stripe's scheme) and with the Standard Webhooks headers webhook-id, ` +
          "webhook-timestamp and webhook-signature. Failed deliveries are retried with exponential backoff.",
        body: NewWebhookSchema,
        response: {
          201: CreatedWebhookSchema,
          400: ProblemSchema,
          422: ProblemSchema.describe("The URL points at localhost or a special-purpose address (loopback, private…)"),
          ...authErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const webhook = await createWebhook(
        app.storage,
        clientOf(request).id,
        request.body,
        destinationSettings(app.config),
      );
      reply.header("cache-control", "no-store");
      return reply.code(201).header("location", `/v1/webhooks/${webhook.id}`).send(webhook);
    },
  );

  app.get(
    "/v1/webhooks",
    {
      config: { scope: "webhooks:manage" },
      schema: {
        tags: ["webhooks"],
        summary: "This client's webhooks, oldest first",
        ...pagedList(WebhookSchema, "WebhookPage"),
      },
    },
    async (request) => listWebhooks(app.storage, clientOf(request).id, request.query),
  );

  app.delete(
    "/v1/webhooks/:id",
    {
      config: { scope: "webhooks:manage" },
      schema: {
        tags: ["webhooks"],
        summary: "Unsubscribe; pending deliveries to it are dropped",
        params: IdParams,
        response: { 204: z.null(), 400: ProblemSchema, 404: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      await deleteWebhook(app.storage, clientOf(request).id, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    "/v1/webhooks/:id/deliveries",
    {
      config: { scope: "webhooks:manage" },
      schema: {
        tags: ["webhooks"],
        summary: "Deliveries to one webhook, newest first, each with its attempts",
        params: IdParams,
        ...pagedList(WebhookDeliverySchema, "WebhookDeliveryPage", { notFound: "No such webhook for this client" }),
      },
    },
    async (request) => listDeliveries(app.storage, clientOf(request).id, request.params.id, request.query),
  );
};
