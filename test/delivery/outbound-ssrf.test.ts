import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REFUSED, type ResolveHost } from "../../src/delivery/outbound.js";
import { learnerIdOnPlatform } from "../../src/lti/launch.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import { type LtiPlatformDouble, launchThrough, startLtiPlatform } from "../support/lti-platform.js";
import { eventually } from "../support/polling.js";
import { emit, fast } from "../support/webhook-steps.js";
import { startWebhookReceiver } from "../webhook-receiver.js";

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
/** An app that allows private addresses, as tests do for their loopback doubles: the rules that hold even so. */
let open: TestApp;
let platform: LtiPlatformDouble;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let admin: { auth: string };
let internal: HttpDouble;
let hostile: HttpDouble;

/** A loopback HTTP server that records each request as "METHOD /path" and answers as `answer` says. */
type HttpDouble = { origin: string; requests: string[]; server: Server };
type Answer = { status: number; headers?: Record<string, string>; body: string };
async function startHttpDouble(answer: (path: string) => Answer): Promise<HttpDouble> {
  const requests: string[] = [];
  const server = createServer((incoming, response) => {
    incoming.resume();
    incoming.on("end", () => {
      requests.push(`${incoming.method} ${incoming.url}`);
      const { status, headers, body } = answer(incoming.url ?? "/");
      response.writeHead(status, { "content-type": "text/plain", ...headers });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}
/** What an internal service answers: what a recorded error must never show. */
const INTERNAL_SECRET = "AWS_SECRET_ACCESS_KEY=internal-secret-0123456789";

beforeAll(async () => {
  platform = await startLtiPlatform();
  receiver = await startWebhookReceiver();
  internal = await startHttpDouble(() => ({ status: 200, body: INTERNAL_SECRET }));
  // A platform whose endpoints send the tool on to the internal service.
  hostile = await startHttpDouble(
    (path): Answer =>
      path === "/token"
        ? { status: 200, headers: { "content-type": "application/json" }, body: '{"access_token":"t","expires_in":60}' }
        : {
            status: path.startsWith("/lineitems") ? 307 : 302,
            headers: { location: `${internal.origin}${path}` },
            body: INTERNAL_SECRET,
          },
  );
  t = await buildTestApp(
    { ...fast({ allowPrivateUrls: false, maxAttempts: 1 }), secretsKey: randomBytes(32) },
    { resolveOutboundHost: resolveHost },
  );
  open = await buildTestApp({ ...fast({ maxAttempts: 3 }), secretsKey: randomBytes(32) });
  admin = await createTestClient(t.prisma, ["admin"]);
});
afterAll(async () => {
  await t?.close();
  await open?.close();
  await platform?.close();
  await receiver?.close();
  for (const double of [internal, hostile]) double?.server.closeAllConnections();
  await Promise.all([internal, hostile].map((double) => double && new Promise((done) => double.server.close(done))));
});

/** A platform as a row stored before registration checked its URLs (registration refuses literals only). */
async function storedPlatform(clientId: string, urls: { jwksUrl?: string; tokenUrl?: string }, app = t) {
  platform.clientId = `tool-${randomUUID()}`;
  return app.prisma.ltiPlatform.create({
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

/** Login, platform authorization and launch, as the user's browser does them. */
const launch = (app: TestApp, spec: LtiPlatformDouble["nextLaunch"]) => launchThrough(app.app.server, platform, spec);

/** A question attempt, graded, of the platform's user `sub`: what the tool owes the platform a score for. */
const gradedQuestionAttempt = (app: TestApp, lms: { auth: string }, sub: string) =>
  request(app.app.server)
    .post("/v1/exercises/preguntas-que-es-docker/submissions")
    .set("authorization", lms.auth)
    .send({
      learnerId: learnerIdOnPlatform({ issuer: platform.issuer, platformClientId: platform.clientId }, sub),
      answers: {},
    })
    .expect(201);

/** A graded question attempt of `sub`, and a score for it queued towards `lineitemUrl`. */
async function queuedScore(lms: { id: string; auth: string }, platformId: string, lineitemUrl: string, app = t) {
  const sub = `sub-${randomUUID().slice(0, 8)}`;
  const graded = await gradedQuestionAttempt(app, lms, sub);
  const placement = await app.prisma.ltiPlacement.create({
    data: { platformId, resourceLinkId: randomUUID(), exerciseId: "preguntas-que-es-docker", lineitemUrl },
  });
  await app.prisma.ltiScoreDelivery.create({
    data: { id: randomUUID(), placementId: placement.id, sub, submissionId: graded.body.id, score: { userId: sub } },
  });
  app.app.pokeDeliveries();
  const row = await eventually(
    () =>
      app.prisma.ltiScoreDelivery.findFirstOrThrow({
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
    const launched = await launch(t, { sub: "learner" });
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

describe("where private addresses are allowed (tests, a private network)", () => {
  it("a launch whose id_token names a line item off the platform's origin is refused, and nothing is sent there", async () => {
    const lms = await createTestClient(open.prisma, ["submissions:write"]);
    await storedPlatform(lms.id, {}, open);
    const sub = `sub-${randomUUID().slice(0, 8)}`;
    const lineitem = `${internal.origin}/internal-service/lineitems/1/lineitem`;
    const launched = await launch(open, {
      sub,
      custom: { exercise_id: "preguntas-que-es-docker" },
      claims: {
        "https://purl.imsglobal.org/spec/lti/claim/resource_link": { id: `link-${sub}` },
        "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
          scope: ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
          lineitem,
        },
      },
    });
    expect(launched.status, launched.text).toBe(401);
    expect(launched.text).toContain("not on the registered platform's origin");
    expect(await open.prisma.ltiPlacement.count({ where: { lineitemUrl: lineitem } })).toBe(0);
    await gradedQuestionAttempt(open, lms, sub);
    expect(await open.prisma.ltiScoreDelivery.count({ where: { sub } })).toBe(0);
    expect(internal.requests).toEqual([]);
  });

  it("a JWKS that redirects is not followed: the launch is refused", async () => {
    const lms = await createTestClient(open.prisma, ["submissions:write"]);
    await storedPlatform(lms.id, { jwksUrl: `${hostile.origin}/jwks-${randomUUID()}` }, open);
    const launched = await launch(open, { sub: "learner" });
    expect(launched.status, launched.text).toBe(401);
    expect(launched.text).not.toContain(INTERNAL_SECRET);
    expect(hostile.requests.filter((line) => line.startsWith("GET /jwks-"))).toHaveLength(1);
    expect(internal.requests).toEqual([]);
  });

  it("a score answered with a redirect is final: not followed, recorded as its status and a fixed reason", async () => {
    const lms = await createTestClient(open.prisma, ["submissions:write", "progress:read"]);
    const stored = await storedPlatform(lms.id, { tokenUrl: `${hostile.origin}/token` }, open);
    const row = await queuedScore(lms, stored.id, `${hostile.origin}/lineitems/1`, open);
    expect(row).toMatchObject({
      status: "failed",
      attempts: 1,
      attemptLog: [{ statusCode: 307, error: "HTTP 307: redirects are not followed" }],
    });
    expect(hostile.requests).toContain("POST /lineitems/1/scores");
    expect(internal.requests).toEqual([]);
    const listed = await request(open.app.server).get("/v1/lti/scores").set("authorization", lms.auth).expect(200);
    expect(listed.body.items).toHaveLength(1);
    expect(listed.text).not.toContain("internal-secret");
  });

  it("a token endpoint that redirects is not followed: no client assertion reaches where it points", async () => {
    const lms = await createTestClient(open.prisma, ["submissions:write"]);
    const stored = await storedPlatform(lms.id, { tokenUrl: `${hostile.origin}/token-moved` }, open);
    const row = await queuedScore(lms, stored.id, `${hostile.origin}/lineitems/2`, open);
    expect(row).toMatchObject({ status: "failed", attempts: 3 });
    expect(row.attemptLog.map((attempt) => attempt.error)).toEqual(
      Array(3).fill("token endpoint: HTTP 302: redirects are not followed"),
    );
    expect(hostile.requests).not.toContain("POST /lineitems/2/scores");
    expect(internal.requests).toEqual([]);
  });
});
