import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lrsChannel } from "../../src/delivery/lrs-channel.js";
import { ltiScoreChannel } from "../../src/delivery/lti-score-channel.js";
import { webhookChannel } from "../../src/delivery/webhook-channel.js";
import { pruneDeliveries } from "../../src/delivery/worker.js";
import { buildTestApp, type TestApp } from "../helper.js";
import { fast } from "../support/webhook-steps.js";

/**
 * Every outbox keeps what is pending and RETENTION days of settled history (delivered, failed,
 * superseded, already stored), by one rule. Older settled rows go, with their attempt logs, so no
 * outbox grows with every grade sent.
 */
const RETENTION = 7;
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp(fast({ workerEnabled: false }));
});
afterAll(async () => {
  await t?.close();
});

const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
const OLD = daysAgo(RETENTION + 1);
const RECENT = daysAgo(1);
/** Each outbox gets the same four rows: two settled long ago, one settled recently, one pending for long. */
const ROWS = {
  oldDelivered: { status: "delivered", settledAt: OLD, createdAt: OLD },
  oldFailed: { status: "failed", settledAt: OLD, createdAt: OLD },
  recentDelivered: { status: "delivered", settledAt: RECENT, createdAt: RECENT },
  oldPending: { status: "pending", settledAt: null, createdAt: OLD },
} as const;

async function aSubmission() {
  const learnerId = `learner-${randomUUID().slice(0, 8)}`;
  await t.prisma.learner.create({ data: { clientId: t.clientId, id: learnerId } });
  return t.prisma.submission.create({
    data: {
      clientId: t.clientId,
      learnerId,
      exerciseId: "alpine-una-vez",
      containerName: "c",
      passed: true,
      score: 1,
      maxScore: 1,
      checks: [],
      hints: [],
      evidence: {},
      language: "es",
      durationMs: 1,
    },
  });
}

describe("pruning the outboxes", () => {
  it("deletes rows settled past the retention in each outbox, with their attempts, and keeps the rest", async () => {
    const endpoint = await t.prisma.webhookEndpoint.create({
      data: { clientId: t.clientId, url: "https://lms.example/hooks", events: ["submission.graded"], secret: "s" },
    });
    await t.prisma.lrsEndpoint.create({
      data: { clientId: t.clientId, url: "https://lrs.example/xapi", username: "u", passwordEncrypted: "x" },
    });
    const platform = await t.prisma.ltiPlatform.create({
      data: {
        clientId: t.clientId,
        issuer: "https://moodle.example",
        platformClientId: "tool",
        deploymentIds: ["1"],
        authUrl: "https://moodle.example/auth",
        tokenUrl: "https://moodle.example/token",
        jwksUrl: "https://moodle.example/jwks",
      },
    });
    const placement = await t.prisma.ltiPlacement.create({
      data: {
        platformId: platform.id,
        resourceLinkId: "link",
        exerciseId: "alpine-una-vez",
        lineitemUrl: "https://moodle.example/li",
      },
    });
    const kept: string[] = [];
    const gone: string[] = [];
    for (const [name, row] of Object.entries(ROWS)) {
      const submission = await aSubmission();
      await t.prisma.xapiStatement.create({
        data: { id: submission.id, clientId: t.clientId, learnerId: submission.learnerId, statement: {} },
      });
      const webhook = await t.prisma.webhookDelivery.create({
        data: { endpointId: endpoint.id, eventId: randomUUID(), event: "submission.graded", payload: {}, ...row },
      });
      const lrs = await t.prisma.lrsDelivery.create({
        data: { id: randomUUID(), clientId: t.clientId, statementId: submission.id, ...row },
      });
      const score = await t.prisma.ltiScoreDelivery.create({
        data: { id: randomUUID(), placementId: placement.id, sub: "s", submissionId: submission.id, score: {}, ...row },
      });
      await t.prisma.deliveryAttempt.createMany({
        data: [
          { webhookDeliveryId: webhook.id, number: 1, durationMs: 5 },
          { lrsDeliveryId: lrs.id, number: 1, durationMs: 5 },
          { scoreDeliveryId: score.id, number: 1, durationMs: 5 },
        ],
      });
      (name.startsWith("old") && name !== "oldPending" ? gone : kept).push(webhook.id, lrs.id, score.id);
    }

    expect(
      await pruneDeliveries(
        t.app.storage,
        [
          webhookChannel,
          lrsChannel,
          ltiScoreChannel(async () => {
            throw new Error("no key is needed to prune");
          }),
        ],
        RETENTION,
      ),
    ).toBe(6);
    const left = [
      ...(await t.prisma.webhookDelivery.findMany({ select: { id: true } })),
      ...(await t.prisma.lrsDelivery.findMany({ select: { id: true } })),
      ...(await t.prisma.ltiScoreDelivery.findMany({ select: { id: true } })),
    ].map((row) => row.id);
    expect(left.sort()).toEqual(kept.sort());
    // One attempt-log shape: the pruned rows' attempts went with them, the kept rows' stayed.
    expect(await t.prisma.deliveryAttempt.count()).toBe(kept.length);
    expect(gone).toHaveLength(6);
  });
});
