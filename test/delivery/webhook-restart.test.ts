import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseClient, type Database } from "../../src/db/prisma.js";
import { buildReplica, createTestClient, createTestDatabase, type TestDatabase } from "../helper.js";
import { exitCode, listeningAddress, startServer } from "../server-process.js";
import { fast } from "../support/webhook-steps.js";
import { startWebhookReceiver } from "../webhook-receiver.js";

/**
 * The outbox survives the process: a real server (npm start's command) commits an event, cannot
 * deliver it yet, and is killed with SIGKILL. A new instance on the same database delivers it.
 */
let database: TestDatabase;
let db: Database;
beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabaseClient(database.url);
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe("a committed event across a crash", () => {
  it("is delivered by the next instance after the first one is killed", { timeout: 120_000 }, async () => {
    let accepting = false;
    const receiver = await startWebhookReceiver({ respond: () => (accepting ? 200 : 503) });
    const lms = await createTestClient(db, ["submissions:write", "webhooks:manage", "progress:read", "engine:shared"]);
    const first = startServer({
      DATABASE_URL: database.url,
      WEBHOOK_RETRY_BASE_MS: "300",
      WEBHOOK_ALLOW_PRIVATE_URLS: "true",
    });
    try {
      const base = await listeningAddress(first.output, 90_000);
      const hook = await request(base)
        .post("/v1/webhooks")
        .set("authorization", lms.auth)
        .send({ url: receiver.url, events: ["lesson.completed"] })
        .expect(201);
      // Passing the lesson's questions completes it: a committed event, and no engine to wait for.
      await request(base)
        .post("/v1/exercises/preguntas-que-es-docker/submissions")
        .set("authorization", lms.auth)
        .send({
          learnerId: "superviviente",
          answers: {
            "para-que-sirve": "en-mi-maquina-funciona",
            "tres-tareas": ["construccion", "distribucion", "ejecucion"],
            "comprobar-instalacion": "docker run hello-world",
          },
        })
        .expect(201);
      await receiver.waitFor(1, 20_000); // the first instance tried, and the receiver refused
      // Kill it once that refusal is recorded, i.e. between attempts. (A kill in the middle of a send
      // leaves the delivery leased for a minute; it is retried after that, which this test does not wait for.)
      const deadline = Date.now() + 20_000;
      while ((await db.deliveryAttempt.count()) === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      first.child.kill("SIGKILL");
      await exitCode(first.child);

      const stranded = await db.webhookDelivery.findFirstOrThrow({ where: { endpointId: hook.body.id } });
      expect(stranded.status).toBe("pending");

      accepting = true;
      const second = await buildReplica(database.url, {
        ...fast({ maxAttempts: 8, retryBaseMs: 300, pollIntervalMs: 100 }),
      });
      try {
        const deadline = Date.now() + 30_000;
        let delivery = stranded;
        while (delivery.status !== "delivered" && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          delivery = await db.webhookDelivery.findUniqueOrThrow({ where: { id: stranded.id } });
        }
        expect(delivery.status).toBe("delivered");
        const accepted = receiver.received.filter((_, i) => i >= receiver.received.length - 1);
        expect(JSON.parse(accepted[0]?.body ?? "{}")).toMatchObject({
          id: stranded.eventId,
          type: "lesson.completed",
          data: { learnerId: "superviviente", lesson: "que-es-docker" },
        });
        const attempts = await db.deliveryAttempt.findMany({
          where: { webhookDeliveryId: stranded.id },
          orderBy: { number: "asc" },
        });
        expect(attempts.at(-1)?.statusCode).toBe(200);
        expect(attempts.slice(0, -1).every((a) => a.statusCode === 503)).toBe(true);
      } finally {
        await second.close();
      }
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill("SIGKILL");
      await receiver.close();
    }
  });
});
