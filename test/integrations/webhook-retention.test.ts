import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DELIVERED_RETENTION_DAYS, pruneDeliveredWebhooks } from "../../src/webhooks/prune-deliveries.js";
import { buildTestApp, type TestApp } from "../helper.js";

/**
 * The outbox keeps what is pending, what failed, and DELIVERED_RETENTION_DAYS of delivered history.
 * Older delivered rows go, with their attempt logs, so the table does not grow with every event sent.
 */

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({
    webhooks: { workerEnabled: false, maxAttempts: 3, retryBaseMs: 1000, pollIntervalMs: 1000, leaseMs: 60_000 },
  });
});
afterAll(async () => {
  await t?.close();
});

describe("pruning delivered webhook rows", () => {
  it("deletes delivered rows past the retention and keeps recent, pending and failed ones", async () => {
    const endpoint = await t.prisma.webhookEndpoint.create({
      data: { clientId: t.clientId, url: "https://lms.example/hooks", events: ["submission.graded"], secret: "s" },
    });
    const now = new Date();
    const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
    const old = DELIVERED_RETENTION_DAYS + 1;
    const rows = {
      oldDelivered: { status: "delivered", deliveredAt: daysAgo(old), createdAt: daysAgo(old) },
      recentDelivered: { status: "delivered", deliveredAt: daysAgo(1), createdAt: daysAgo(1) },
      oldPending: { status: "pending", deliveredAt: null, createdAt: daysAgo(old) },
      oldFailed: { status: "failed", deliveredAt: null, createdAt: daysAgo(old) },
    };
    const ids: Record<string, string> = {};
    for (const [name, row] of Object.entries(rows)) {
      const created = await t.prisma.webhookDelivery.create({
        data: {
          endpointId: endpoint.id,
          eventId: crypto.randomUUID(),
          event: "submission.graded",
          payload: { name },
          ...row,
        },
      });
      await t.prisma.webhookAttempt.create({ data: { deliveryId: created.id, number: 1, durationMs: 5 } });
      ids[name] = created.id;
    }

    expect(await pruneDeliveredWebhooks(t.prisma, now)).toBe(1);
    const left = await t.prisma.webhookDelivery.findMany({ select: { id: true } });
    expect(left.map((row) => row.id).sort()).toEqual(
      [ids.recentDelivered, ids.oldPending, ids.oldFailed].sort() as string[],
    );
    expect(await t.prisma.webhookAttempt.count({ where: { deliveryId: ids.oldDelivered } })).toBe(0);
  });
});
