import request from "supertest";
import { expect } from "vitest";
import type { AppConfig } from "../../src/app.js";
import { createPool, createSqlPool } from "../../src/db/sql.js";
import { enqueueWebhookEvent } from "../../src/delivery/events.js";
import type { TestApp } from "../helper.js";

/**
 * A worker that polls every 50 ms and retries after 50 ms, so a story takes a fraction of a second.
 * Receivers and platform doubles listen on 127.0.0.1, so private URLs are allowed unless a test says not.
 */
export const fast = (over: Partial<AppConfig["delivery"]> = {}): Partial<AppConfig> => ({
  delivery: {
    workerEnabled: true,
    maxAttempts: 5,
    retryBaseMs: 50,
    pollIntervalMs: 50,
    leaseMs: 60_000,
    allowPrivateUrls: true,
    timeoutMs: 10_000,
    retentionDays: 7,
    ...over,
  },
});

export async function registerWebhook(t: TestApp, auth: string, url: string, events = ["submission.graded"]) {
  const response = await request(t.app.server).post("/v1/webhooks").set("authorization", auth).send({ url, events });
  expect(response.status, response.text).toBe(201);
  return response.body as { id: string; secret: string };
}

/** Emits an event the way the services do: inside a transaction (on a pool of its own: the app may be closed). */
export async function emit(t: TestApp, clientId: string, data: Record<string, unknown> = { submissionId: "s1" }) {
  const sql = createSqlPool(createPool(t.databaseUrl));
  try {
    await sql.transaction((tx) => enqueueWebhookEvent(tx, clientId, "submission.graded", data));
  } finally {
    await sql.pool.end();
  }
}

/** What the tenant sees: GET /v1/webhooks/:id/deliveries. */
export async function deliveriesOf(t: TestApp, auth: string, webhookId: string) {
  const response = await request(t.app.server)
    .get(`/v1/webhooks/${webhookId}/deliveries`)
    .set("authorization", auth)
    .expect(200);
  return response.body.items as {
    status: string;
    attempts: number;
    attemptLog: { number: number; statusCode: number | null; error: string | null }[];
  }[];
}
