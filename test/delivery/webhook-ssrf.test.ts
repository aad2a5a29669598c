import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFUSED, type ResolveHost } from "../../src/delivery/outbound.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import { eventually } from "../support/polling.js";
import { deliveriesOf, emit, fast, registerWebhook } from "../support/webhook-steps.js";
import { startWebhookReceiver } from "../webhook-receiver.js";

/**
 * Server-side request forgery through webhooks, as an attacker with a webhooks:manage key tried it:
 * URLs that name an internal address in a form the first filter did not know, names that resolve
 * inside, and DNS answers that change between the check and the connection.
 */

/** The URLs accepted before, then more of IANA's special-purpose registries and their v6 disguises. */
const REFUSED_URLS = [
  // From the attack: accepted with 201.
  "http://192.0.0.1/",
  "http://[::127.0.0.1]/",
  "http://[64:ff9b::7f00:1]/",
  "http://[2002:7f00:1::]/",
  "http://localhost./",
  // IPv4 special-purpose registry.
  "http://0.0.0.0/",
  "http://100.64.0.1/",
  "http://192.0.2.1/",
  "http://192.31.196.1/",
  "http://192.52.193.1/",
  "http://192.88.99.1/",
  "http://192.175.48.1/",
  "http://198.18.0.1/",
  "http://198.51.100.1/",
  "http://203.0.113.1/",
  "http://240.0.0.1/",
  "http://255.255.255.255/",
  "http://224.0.0.1/",
  "http://0x7f.1/", // the URL parser reads it as 127.0.0.1
  "http://127.0.0.1./",
  // IPv6 special-purpose registry, and IPv4 embedded in IPv6.
  "http://[::]/",
  "http://[::ffff:10.0.0.1]/",
  "http://[::ffff:0:a00:1]/", // RFC 6145 translated
  "http://[64:ff9b:1::a00:1]/", // local-use NAT64
  "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", // Teredo
  "http://[2002:808:808::1]/", // 6to4 around a public address: the relay decides where it goes
  "http://[100::1]/",
  "http://[2001:2::1]/",
  "http://[2001:db8::1]/",
  "http://[2001:20::1]/",
  "http://[3fff::1]/",
  "http://[5f00::1]/",
  "http://[fc00::1]/",
  "http://[fec0::1]/",
  "http://[fe80::1]/",
  "http://[ff02::1]/",
  "http://foo.localhost./x",
  "http://LOCALHOST:8080/x",
];

describe("registering a webhook without WEBHOOK_ALLOW_PRIVATE_URLS", () => {
  let t: TestApp;
  let auth: string;
  beforeAll(async () => {
    t = await buildTestApp(fast({ allowPrivateUrls: false, workerEnabled: false }));
    auth = (await createTestClient(t.prisma, ["webhooks:manage"])).auth;
  });
  afterAll(() => t.close());

  it.each(REFUSED_URLS)("refuses %s with a 422 that names body.url", async (url) => {
    const response = await request(t.app.server)
      .post("/v1/webhooks")
      .set("authorization", auth)
      .send({ url, events: ["exercise.passed"] });
    expect(response.status).toBe(422);
    expect(response.headers["content-type"]).toContain("application/problem+json");
    expect(response.body.errors).toEqual([expect.objectContaining({ path: "body.url" })]);
  });

  it("stores none of them, and accepts public names and addresses", async () => {
    expect(await t.prisma.webhookEndpoint.count()).toBe(0);
    for (const url of ["https://lms.example/hooks", "http://93.184.215.14/", "http://[2606:4700::1111]:8443/h"]) {
      await registerWebhook(t, auth, url);
    }
  });
});

/** A DNS server under the attacker's control: it answers each name from a list, one answer per query. */
function hostileDns(answers: Record<string, string[][]>) {
  const queries: string[] = [];
  const resolveHost: ResolveHost = async (hostname) => {
    const n = queries.filter((q) => q === hostname).length;
    queries.push(hostname);
    const list = answers[hostname];
    const addresses = list?.[Math.min(n, list.length - 1)];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return { resolveHost, queries };
}

describe("delivering without WEBHOOK_ALLOW_PRIVATE_URLS", () => {
  it("refuses a name when any of its addresses is internal, and shows the tenant only that it failed", async () => {
    const receiver = await startWebhookReceiver({ respond: () => 418 });
    const dns = hostileDns({ "mixed.attacker.example": [["93.184.215.14", "127.0.0.1"]] });
    const t = await buildTestApp(fast({ allowPrivateUrls: false, maxAttempts: 1 }), {
      resolveOutboundHost: dns.resolveHost,
    });
    try {
      const lms = await createTestClient(t.prisma, ["webhooks:manage"]);
      const hook = await registerWebhook(t, lms.auth, `http://mixed.attacker.example:${receiver.port}/hooks`);
      await emit(t, lms.id);
      const [delivery] = await eventually(
        () => deliveriesOf(t, lms.auth, hook.id),
        (items) => items[0]?.status === "failed",
      );
      expect(delivery).toMatchObject({ status: "failed", attemptLog: [{ statusCode: null, error: REFUSED }] });
      expect(JSON.stringify(delivery)).not.toContain("127.0.0.1");
      expect(receiver.received).toHaveLength(0);
    } finally {
      await t.close();
      await receiver.close();
    }
  });

  it("refuses URLs stored before this policy, and an internal name reads like one that does not exist", async () => {
    const receiver = await startWebhookReceiver({ respond: () => 418 });
    const dns = hostileDns({ "intranet.corp": [["10.0.0.7"]] });
    const t = await buildTestApp(fast({ allowPrivateUrls: false, maxAttempts: 1 }), {
      resolveOutboundHost: dns.resolveHost,
    });
    try {
      const lms = await createTestClient(t.prisma, ["webhooks:manage"]);
      const urls = [
        `http://localhost.:${receiver.port}/hooks`,
        `http://[::127.0.0.1]:${receiver.port}/hooks`,
        `http://[::ffff:127.0.0.1]:${receiver.port}/hooks`,
        "http://192.0.0.1/",
        "http://intranet.corp/",
        "http://no-such-host.corp/",
      ];
      // Rows as the registration let them in before it refused these forms.
      const endpoints = await Promise.all(
        urls.map((url) =>
          t.prisma.webhookEndpoint.create({
            data: { clientId: lms.id, url, events: ["submission.graded"], secret: "whsec_x" },
          }),
        ),
      );
      await emit(t, lms.id);
      for (const endpoint of endpoints) {
        const [delivery] = await eventually(
          () => deliveriesOf(t, lms.auth, endpoint.id),
          (items) => items[0]?.status === "failed",
        );
        expect(delivery, endpoint.url).toMatchObject({
          status: "failed",
          attemptLog: [{ statusCode: null, error: REFUSED }],
        });
      }
      expect(receiver.received).toHaveLength(0);
    } finally {
      await t.close();
      await receiver.close();
    }
  });
});

describe("the connection", () => {
  it("goes to the address that was resolved once and checked, even when DNS answers otherwise later", async () => {
    // Two receivers on one port: the checked address, and where a second DNS answer would point.
    const checked = await startWebhookReceiver();
    const rebound = await startWebhookReceiver({ host: "127.0.0.2", port: checked.port });
    const dns = hostileDns({ "rebind.attacker.example": [["127.0.0.1"], ["127.0.0.2"]] });
    // Loopback is allowed here only because the receivers listen there; the pinning is the same either way.
    const t = await buildTestApp({ ...fast({ maxAttempts: 1 }) }, { resolveOutboundHost: dns.resolveHost });
    try {
      const lms = await createTestClient(t.prisma, ["webhooks:manage"]);
      const hook = await registerWebhook(t, lms.auth, `http://rebind.attacker.example:${checked.port}/hooks`);
      await emit(t, lms.id);
      const [got] = await checked.waitFor(1);
      const [delivery] = await eventually(
        () => deliveriesOf(t, lms.auth, hook.id),
        (items) => items[0]?.status !== "pending",
      );
      expect(delivery).toMatchObject({ status: "delivered", attemptLog: [{ statusCode: 204 }] });
      expect(rebound.received).toHaveLength(0);
      expect(dns.queries).toEqual(["rebind.attacker.example"]);
      expect(got?.headers.host).toBe(`rebind.attacker.example:${checked.port}`);
    } finally {
      await t.close();
      await checked.close();
      await rebound.close();
    }
  });
});
