import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { SIGNATURE_HEADER, signWebhook } from "../../src/delivery/signature.js";
import { buildReplica, buildTestApp, createTestClient, type TestApp, testConfig } from "../helper.js";
import { emit, fast, registerWebhook } from "../support/webhook-steps.js";
import { startWebhookReceiver } from "../webhook-receiver.js";

/**
 * Webhook secrets at rest: a copy of the database must not be enough to forge deliveries. They are
 * sealed with SECRETS_KEY (AES-256-GCM, as labs' TLS keys are), rows stored in plaintext before are
 * sealed when a replica starts with the key, and receivers see the same signatures as before.
 */

/** Everything a database dump would show of the webhook endpoints. */
async function dumpOfEndpoints(t: TestApp): Promise<string> {
  const rows = await t.prisma.$queryRaw<{ row: string }[]>`SELECT e::text AS row FROM webhook_endpoints AS e`;
  return rows.map((r) => r.row).join("\n");
}

/** The receiver's delivery carries exactly the signature the registered secret makes of its body. */
function expectSignedWith(secret: string, got: { headers: Record<string, unknown>; body: string } | undefined) {
  const header = String(got?.headers[SIGNATURE_HEADER]);
  const t = Number(/t=(\d+)/.exec(header)?.[1]);
  expect(header).toBe(signWebhook(secret, t, got?.body ?? ""));
}

describe("webhook secrets at rest", () => {
  it("are stored encrypted when SECRETS_KEY is set, and sign exactly as before", async () => {
    const receiver = await startWebhookReceiver();
    const t = await buildTestApp({ secretsKey: randomBytes(32), ...fast() });
    try {
      const lms = await createTestClient(t.prisma, ["webhooks:manage"]);
      const hook = await registerWebhook(t, lms.auth, receiver.url);
      expect(hook.secret).toMatch(/^whsec_/);
      const dump = await dumpOfEndpoints(t);
      expect(dump).not.toContain(hook.secret);
      expect(dump).not.toContain("whsec_");
      expect(await t.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: hook.id } })).toMatchObject({
        secret: null,
        secretEncrypted: expect.any(String),
      });

      await emit(t, lms.id);
      const [got] = await receiver.waitFor(1);
      expectSignedWith(hook.secret, got);
    } finally {
      await t.close();
      await receiver.close();
    }
  });

  it("stored in plaintext before are encrypted when a replica starts with the key, and keep signing", async () => {
    const receiver = await startWebhookReceiver();
    const key = randomBytes(32);
    // Without a key the secret is stored as it is (and start-up warns): the state before this change.
    const before = await buildTestApp(fast({ workerEnabled: false }));
    try {
      const lms = await createTestClient(before.prisma, ["webhooks:manage"]);
      const hook = await registerWebhook(before, lms.auth, receiver.url);
      expect(await dumpOfEndpoints(before)).toContain(hook.secret);
      await before.app.close();

      const withKey = await buildReplica(before.databaseUrl, { secretsKey: key, ...fast() });
      try {
        expect(await dumpOfEndpoints(before)).not.toContain(hook.secret);
        await emit(before, lms.id);
        const [got] = await receiver.waitFor(1);
        expectSignedWith(hook.secret, got);
      } finally {
        await withKey.close();
      }

      // Sealed secrets cannot sign without the key: such a replica refuses to start, naming the variable.
      const withoutKey = await buildApp(testConfig(before.databaseUrl, fast()));
      await expect(withoutKey.ready()).rejects.toThrow(/encrypted, but SECRETS_KEY is unset/);
      await withoutKey.close();
    } finally {
      await before.close();
      await receiver.close();
    }
  });
});
