import { Webhook } from "standardwebhooks";
import { Stripe } from "stripe";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueWebhookEvent } from "../../src/delivery/events.js";
import { SIGNATURE_HEADER, verifyWebhookSignature } from "../../src/delivery/signature.js";
import { buildReplica, buildTestApp, createTestClient, type TestApp } from "../helper.js";
import { eventually } from "../support/polling.js";
import { deliveriesOf, emit, fast, registerWebhook } from "../support/webhook-steps.js";
import { startWebhookReceiver } from "../webhook-receiver.js";

describe("webhook registrations", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({
      ...fast({ workerEnabled: false, maxAttempts: 1 }),
    });
  });
  afterAll(() => t.close());

  it("need webhooks:manage, show the secret once, and are invisible to other clients", async () => {
    const lms = await createTestClient(t.prisma, ["webhooks:manage"]);
    const other = await createTestClient(t.prisma, ["webhooks:manage"]);
    const grader = await createTestClient(t.prisma, ["submissions:write", "engine:shared"]);

    await request(t.app.server)
      .post("/v1/webhooks")
      .send({ url: "http://127.0.0.1:9/x", events: ["exercise.passed"] })
      .expect(401);
    const denied = await request(t.app.server)
      .post("/v1/webhooks")
      .set("authorization", grader.auth)
      .send({ url: "http://127.0.0.1:9/x", events: ["exercise.passed"] });
    expect(denied.status).toBe(403);
    expect(denied.body.requiredScope).toBe("webhooks:manage");

    const hook = await registerWebhook(t, lms.auth, "http://127.0.0.1:9/x", ["exercise.passed", "lesson.completed"]);
    expect(hook.secret).toMatch(/^whsec_/);
    const mine = await request(t.app.server).get("/v1/webhooks").set("authorization", lms.auth).expect(200);
    expect(mine.body.items).toEqual([
      expect.objectContaining({ id: hook.id, events: ["exercise.passed", "lesson.completed"] }),
    ]);
    expect(JSON.stringify(mine.body)).not.toContain(hook.secret);

    const theirs = await request(t.app.server).get("/v1/webhooks").set("authorization", other.auth).expect(200);
    expect(theirs.body.items).toEqual([]);
    await request(t.app.server).get(`/v1/webhooks/${hook.id}/deliveries`).set("authorization", other.auth).expect(404);
    await request(t.app.server).delete(`/v1/webhooks/${hook.id}`).set("authorization", other.auth).expect(404);
    await request(t.app.server).delete(`/v1/webhooks/${hook.id}`).set("authorization", lms.auth).expect(204);
    await request(t.app.server).get(`/v1/webhooks/${hook.id}/deliveries`).set("authorization", lms.auth).expect(404);
  });

  it("reject unknown events and non-http URLs", async () => {
    const lms = await createTestClient(t.prisma, ["webhooks:manage"]);
    for (const body of [
      { url: "http://127.0.0.1:9/x", events: ["submission.deleted"] },
      { url: "file:///etc/passwd", events: ["exercise.passed"] },
      { url: "http://127.0.0.1:9/x", events: [] },
    ]) {
      await request(t.app.server).post("/v1/webhooks").set("authorization", lms.auth).send(body).expect(400);
    }
  });

  it("only enqueue events for the client's own subscribed endpoints, and nothing if the transaction rolls back", async () => {
    const a = await createTestClient(t.prisma, ["webhooks:manage"]);
    const b = await createTestClient(t.prisma, ["webhooks:manage"]);
    const hookA = await registerWebhook(t, a.auth, "http://127.0.0.1:9/a");
    const hookB = await registerWebhook(t, b.auth, "http://127.0.0.1:9/b", ["lesson.completed"]);
    await emit(t, a.id);
    await expect(
      t.app.storage.sql.transaction(async (tx) => {
        await enqueueWebhookEvent(tx, a.id, "submission.graded", { submissionId: "rolled-back" });
        throw new Error("the grade failed to store");
      }),
    ).rejects.toThrow("the grade failed to store");
    expect(await deliveriesOf(t, a.auth, hookA.id)).toHaveLength(1);
    expect(await deliveriesOf(t, b.auth, hookB.id)).toHaveLength(0);
  });
});

describe("destinations", () => {
  it("refuse loopback, private and link-local URLs unless WEBHOOK_ALLOW_PRIVATE_URLS", async () => {
    const strict = await buildTestApp({
      ...fast({ allowPrivateUrls: false, workerEnabled: false, maxAttempts: 1 }),
    });
    try {
      const lms = await createTestClient(strict.prisma, ["webhooks:manage"]);
      for (const url of [
        "http://127.0.0.1:8080/x",
        "http://localhost/x",
        "http://169.254.169.254/latest/meta-data",
        "http://10.1.2.3/x",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
      ]) {
        const response = await request(strict.app.server)
          .post("/v1/webhooks")
          .set("authorization", lms.auth)
          .send({ url, events: ["exercise.passed"] });
        expect(response.status, url).toBe(422);
      }
      expect(await strict.prisma.webhookEndpoint.count()).toBe(0);
    } finally {
      await strict.close();
    }
  });

  it("refuse, at delivery time, a name that resolves to an internal address", async () => {
    const receiver = await startWebhookReceiver();
    const strict = await buildTestApp(fast({ allowPrivateUrls: false, maxAttempts: 1 }));
    try {
      const lms = await createTestClient(strict.prisma, ["webhooks:manage"]);
      // A name stored as if registered while public, that now resolves to loopback.
      const endpoint = await strict.prisma.webhookEndpoint.create({
        data: {
          clientId: lms.id,
          url: receiver.url.replace("127.0.0.1", "localhost"),
          events: ["submission.graded"],
          secret: "whsec_x",
        },
      });
      await emit(strict, lms.id);
      const [delivery] = await eventually(
        () => deliveriesOf(strict, lms.auth, endpoint.id),
        (items) => items[0]?.status === "failed",
      );
      expect(delivery?.status).toBe("failed");
      expect(receiver.received).toHaveLength(0);
    } finally {
      await strict.close();
      await receiver.close();
    }
  });
});

describe("delivery", () => {
  it("POSTs the event signed with HMAC-SHA256 over timestamp and body", async () => {
    const receiver = await startWebhookReceiver();
    const t = await buildTestApp(fast());
    try {
      const lms = await createTestClient(t.prisma, ["webhooks:manage"]);
      const hook = await registerWebhook(t, lms.auth, receiver.url);
      await emit(t, lms.id, { submissionId: "abc" });
      const [got] = await receiver.waitFor(1);
      const signature = String(got?.headers[SIGNATURE_HEADER]);
      expect(verifyWebhookSignature(hook.secret, signature, got?.body ?? "")).toBe(true);
      expect(verifyWebhookSignature(hook.secret, signature, `${got?.body} `)).toBe(false);
      expect(verifyWebhookSignature("whsec_wrong", signature, got?.body ?? "")).toBe(false);
      expect(JSON.parse(got?.body ?? "{}")).toMatchObject({ type: "submission.graded", data: { submissionId: "abc" } });
      expect(got?.headers["aprendiendo-event"]).toBe("submission.graded");

      const [delivery] = await eventually(
        () => deliveriesOf(t, lms.auth, hook.id),
        (items) => items[0]?.status === "delivered",
      );
      expect(delivery).toMatchObject({
        status: "delivered",
        attempts: 1,
        attemptLog: [{ number: 1, statusCode: 204 }],
      });
    } finally {
      await t.close();
      await receiver.close();
    }
  });

  it("is verified by the standardwebhooks library and by Stripe's verifier, and neither accepts a changed body", async () => {
    const receiver = await startWebhookReceiver({ respond: (n) => (n === 1 ? 500 : 204) });
    const t = await buildTestApp(fast());
    try {
      const lms = await createTestClient(t.prisma, ["webhooks:manage"]);
      const hook = await registerWebhook(t, lms.auth, receiver.url);
      await emit(t, lms.id, { submissionId: "standard" });
      const [first, retry] = await receiver.waitFor(2);
      const body = first?.body ?? "";
      const headers = first?.headers as Record<string, string>;
      const standard = new Webhook(hook.secret);
      expect(standard.verify(body, headers)).toMatchObject({ data: { submissionId: "standard" } });
      expect(headers["webhook-id"]).toBe(JSON.parse(body).id);
      expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      expect(() => standard.verify(`${body} `, headers)).toThrow();
      // A retry is the same message: same webhook-id, so the receiver can deduplicate on it.
      expect(retry?.headers["webhook-id"]).toBe(headers["webhook-id"]);

      const stripe = new Stripe("sk_test_unused");
      const event = stripe.webhooks.constructEvent(body, headers[SIGNATURE_HEADER] ?? "", hook.secret);
      expect(event).toMatchObject({ type: "submission.graded" });
      expect(() => stripe.webhooks.constructEvent(`${body} `, headers[SIGNATURE_HEADER] ?? "", hook.secret)).toThrow();
    } finally {
      await t.close();
      await receiver.close();
    }
  });

  it("retries with backoff until the receiver accepts, recording every attempt", async () => {
    const receiver = await startWebhookReceiver({ respond: (n) => (n <= 2 ? 500 : 200) });
    const t = await buildTestApp(fast());
    try {
      const lms = await createTestClient(t.prisma, ["webhooks:manage"]);
      const hook = await registerWebhook(t, lms.auth, receiver.url);
      await emit(t, lms.id);
      await receiver.waitFor(3);
      const [delivery] = await eventually(
        () => deliveriesOf(t, lms.auth, hook.id),
        (items) => items[0]?.status === "delivered",
      );
      expect(delivery?.attemptLog.map((a) => a.statusCode)).toEqual([500, 500, 200]);
      const eventIds = new Set(receiver.received.map((r) => JSON.parse(r.body).id));
      expect(eventIds.size).toBe(1); // the same event, retried
    } finally {
      await t.close();
      await receiver.close();
    }
  });

  it("gives up after the maximum number of attempts", async () => {
    const receiver = await startWebhookReceiver({ respond: () => 503 });
    const t = await buildTestApp(fast({ maxAttempts: 2 }));
    try {
      const lms = await createTestClient(t.prisma, ["webhooks:manage"]);
      const hook = await registerWebhook(t, lms.auth, receiver.url);
      await emit(t, lms.id);
      const [delivery] = await eventually(
        () => deliveriesOf(t, lms.auth, hook.id),
        (items) => items[0]?.status === "failed",
      );
      expect(delivery).toMatchObject({ status: "failed", attempts: 2 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(receiver.received).toHaveLength(2);
    } finally {
      await t.close();
      await receiver.close();
    }
  });

  it("sends each of many deliveries exactly once with two workers on one database", async () => {
    const receiver = await startWebhookReceiver();
    const first = await buildTestApp(fast());
    const second = await buildReplica(first.databaseUrl, fast());
    try {
      const lms = await createTestClient(first.prisma, ["webhooks:manage"]);
      await registerWebhook(first, lms.auth, receiver.url);
      // 40 events committed at once, so both workers race for the same due rows.
      await first.app.storage.sql.transaction(async (tx) => {
        for (let i = 0; i < 40; i++) await enqueueWebhookEvent(tx, lms.id, "submission.graded", { n: i });
      });
      await receiver.waitFor(40);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const deliveryIds = receiver.received.map((r) => String(r.headers["aprendiendo-delivery"]));
      expect(deliveryIds).toHaveLength(40);
      expect(new Set(deliveryIds).size).toBe(40);
    } finally {
      await second.close();
      await first.close();
      await receiver.close();
    }
  });
});
