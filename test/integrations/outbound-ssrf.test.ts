import { randomBytes, randomUUID } from "node:crypto";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFUSED, type ResolveHost } from "../../src/delivery/outbound.js";
import { learnerIdForSub } from "../../src/lti/launch.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import { type LtiPlatformDouble, startLtiPlatform } from "../support/lti-platform.js";
import { eventually } from "../support/polling.js";
import { startWebhookReceiver } from "../webhook-receiver.js";
import { emit, fast } from "./webhook-steps.js";

/**
 * Every kind of request the service makes to a URL it was given (a webhook, an LRS, an LTI
 * platform's JWKS, its token endpoint and a line item's scores) goes through one outbound module,
 * which refuses an address pointing inward. Each kind is tried with names that resolve to loopback,
 * to link-local (the cloud metadata address) and to IPv4 embedded in IPv6; the doubles listen on
 * loopback, so a request that got through would be seen arriving.
 */
const INWARD = { loopback: "127.0.0.1", "link-local": "169.254.169.254", "v4-embedded v6": "::ffff:127.0.0.1" };
const FORMS = Object.entries(INWARD);
const PUBLIC = "93.184.215.14";

const queries: string[] = [];
/** An attacker's DNS: `<kind>-<form>.attacker.example` resolves to that form's address. */
const resolveHost: ResolveHost = async (hostname) => {
  queries.push(hostname);
  if (hostname === "public.example") return [{ address: PUBLIC, family: 4 }];
  const form = FORMS.find(([name]) => hostname.endsWith(`-${name.replace(/ /g, "-")}.attacker.example`));
  if (!form) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  return [{ address: form[1], family: form[1].includes(":") ? 6 : 4 }];
};
const host = (kind: string, form: string) => `${kind}-${form.replace(/ /g, "-")}.attacker.example`;

let t: TestApp;
let platform: LtiPlatformDouble;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let admin: { auth: string };

beforeAll(async () => {
  platform = await startLtiPlatform();
  receiver = await startWebhookReceiver();
  t = await buildTestApp(
    { ...fast({ allowPrivateUrls: false, maxAttempts: 1 }), secretsKey: randomBytes(32) },
    { resolveOutboundHost: resolveHost },
  );
  admin = await createTestClient(t.prisma, ["admin"]);
});
afterAll(async () => {
  await t?.close();
  await platform?.close();
  await receiver?.close();
});

/** A platform as a row stored before registration checked its URLs (registration refuses literals only). */
async function storedPlatform(clientId: string, urls: { jwksUrl?: string; tokenUrl?: string }) {
  platform.clientId = `tool-${randomUUID()}`;
  return t.prisma.ltiPlatform.create({
    data: {
      clientId,
      issuer: platform.issuer,
      platformClientId: platform.clientId,
      deploymentIds: [platform.deploymentId],
      authUrl: platform.authUrl,
      tokenUrl: urls.tokenUrl ?? platform.tokenUrl,
      jwksUrl: urls.jwksUrl ?? platform.jwksUrl,
    },
  });
}

/** A graded question attempt of `sub`, and a score for it queued towards `lineitemUrl`. */
async function queuedScore(lms: { id: string; auth: string }, platformId: string, lineitemUrl: string) {
  const sub = `sub-${randomUUID().slice(0, 8)}`;
  const graded = await request(t.app.server)
    .post("/v1/exercises/preguntas-que-es-docker/submissions")
    .set("authorization", lms.auth)
    .send({ learnerId: learnerIdForSub(sub), answers: {} })
    .expect(201);
  const placement = await t.prisma.ltiPlacement.create({
    data: { platformId, resourceLinkId: randomUUID(), exerciseId: "preguntas-que-es-docker", lineitemUrl },
  });
  await t.prisma.ltiScoreDelivery.create({
    data: { id: randomUUID(), placementId: placement.id, sub, submissionId: graded.body.id, score: { userId: sub } },
  });
  t.app.pokeDeliveries();
  const row = await eventually(
    () =>
      t.prisma.ltiScoreDelivery.findFirstOrThrow({
        where: { placementId: placement.id },
        include: { attemptLog: true },
      }),
    (found) => found.status !== "pending",
  );
  return row;
}

describe.each(FORMS)("a name resolving to %s (%s)", (form) => {
  it("is refused for a webhook", async () => {
    const lms = await createTestClient(t.prisma, ["webhooks:manage"]);
    const hook = await t.prisma.webhookEndpoint.create({
      data: {
        clientId: lms.id,
        url: `http://${host("hook", form)}:${receiver.port}/hooks`,
        events: ["submission.graded"],
        secret: "whsec_x",
      },
    });
    await emit(t, lms.id);
    const delivery = await eventually(
      () =>
        t.prisma.webhookDelivery.findFirstOrThrow({ where: { endpointId: hook.id }, include: { attemptLog: true } }),
      (row) => row.status !== "pending",
    );
    expect(delivery).toMatchObject({ status: "failed", attemptLog: [{ statusCode: null, error: REFUSED }] });
    expect(receiver.received).toHaveLength(0);
  });

  it("is refused for an LRS", async () => {
    const lms = await createTestClient(t.prisma, ["submissions:write", "webhooks:manage"]);
    await request(t.app.server)
      .put("/v1/lrs")
      .set("authorization", lms.auth)
      .send({ url: `http://${host("lrs", form)}:${receiver.port}/xapi`, username: "u", password: "p" })
      .expect(200);
    await request(t.app.server)
      .post("/v1/exercises/preguntas-que-es-docker/submissions")
      .set("authorization", lms.auth)
      .send({ learnerId: "ana", answers: {} })
      .expect(201);
    const [delivery] = await eventually(
      async () =>
        (await request(t.app.server).get("/v1/lrs/deliveries").set("authorization", lms.auth).expect(200)).body.items,
      (items: { status: string }[]) => items[0]?.status === "failed",
    );
    expect(delivery).toMatchObject({ status: "failed", lastStatusCode: null, lastError: REFUSED });
    expect(receiver.received).toHaveLength(0);
  });

  it("is refused for an LTI platform's JWKS: the launch is refused and the keys are never fetched", async () => {
    const lms = await createTestClient(t.prisma, ["submissions:write"]);
    const jwksUrl = `http://${host("jwks", form)}:${new URL(platform.jwksUrl).port}/jwks`;
    await storedPlatform(lms.id, { jwksUrl });
    const before = platform.requests.filter((line) => line === "GET /jwks").length;
    platform.nextLaunch = { sub: "learner" };
    const login = await request(t.app.server)
      .get("/lti/login")
      .query({ iss: platform.issuer, login_hint: "h", target_link_uri: "http://tool/", client_id: platform.clientId })
      .expect(302);
    const state = /lti_state=([^;]+)/.exec(String(login.headers["set-cookie"]))?.[1];
    const posted = await platform.authorize(login.headers.location ?? "");
    const launched = await request(t.app.server)
      .post("/lti/launch")
      .type("form")
      .set("cookie", `lti_state=${state}`)
      .send({ id_token: posted.id_token, state: posted.state });
    expect(launched.status).toBeGreaterThanOrEqual(400);
    expect(launched.status).toBeLessThan(500);
    expect(launched.text).toContain("no public address");
    expect(platform.requests.filter((line) => line === "GET /jwks").length).toBe(before);
    expect(queries).toContain(host("jwks", form));
  });

  it("is refused for an LTI token endpoint: no client assertion leaves", async () => {
    const lms = await createTestClient(t.prisma, ["submissions:write"]);
    const tokenUrl = `http://${host("token", form)}:${new URL(platform.tokenUrl).port}/token`;
    const stored = await storedPlatform(lms.id, { tokenUrl });
    const tokensBefore = platform.requests.filter((line) => line === "POST /token").length;
    const row = await queuedScore(lms, stored.id, "http://public.example/lineitems/1");
    expect(row).toMatchObject({ status: "failed", attemptLog: [{ statusCode: null, error: REFUSED }] });
    expect(queries).toContain(host("token", form));
    expect(platform.requests.filter((line) => line === "POST /token").length).toBe(tokensBefore);
  });

  it("is refused for an LTI line item: no score and no bearer token leave, and no token is asked for", async () => {
    const lms = await createTestClient(t.prisma, ["submissions:write"]);
    const tokenHost = `unused-${randomUUID().slice(0, 8)}.example`;
    const stored = await storedPlatform(lms.id, { tokenUrl: `http://${tokenHost}/token` });
    const lineitemUrl = `http://${host("score", form)}:${new URL(platform.tokenUrl).port}/lineitems/1/lineitem`;
    const row = await queuedScore(lms, stored.id, lineitemUrl);
    expect(row).toMatchObject({ status: "failed", attemptLog: [{ statusCode: null, error: REFUSED }] });
    expect(queries).toContain(host("score", form));
    expect(queries).not.toContain(tokenHost);
    expect(platform.scorePosts).toHaveLength(0);
  });
});

describe("registering an LTI platform without DELIVERY_ALLOW_PRIVATE_URLS", () => {
  it.each(
    ["jwksUrl", "tokenUrl", "authUrl"].flatMap((field) =>
      ["http://127.0.0.1/x", "http://169.254.169.254/latest/meta-data", "http://[::ffff:127.0.0.1]/x"].map(
        (url) => [field, url] as const,
      ),
    ),
  )("refuses %s %s with a 422 naming the field", async (field, url) => {
    const lms = await createTestClient(t.prisma, ["submissions:write"]);
    const body = {
      ...platform.registrationFor(lms.id),
      clientId: `tool-${randomUUID()}`,
      authUrl: "https://moodle.example/auth",
      tokenUrl: "https://moodle.example/token",
      jwksUrl: "https://moodle.example/jwks",
      [field]: url,
    };
    const response = await request(t.app.server).post("/v1/lti/platforms").set("authorization", admin.auth).send(body);
    expect(response.status, response.text).toBe(422);
    expect(JSON.stringify(response.body)).toContain(`body.${field}`);
  });
});
