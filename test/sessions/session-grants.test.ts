import { randomBytes } from "node:crypto";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import { type LtiPlatformDouble, startLtiPlatform } from "../support/lti-platform.js";

/**
 * A learner session acts for its client, so it may never do more than the client's own key: not in
 * what it may do (scopes, checked when it is minted and again at each use), and not in how many
 * sessions a client can open a minute, whether through the API or through LTI launches.
 */
const PER_MINUTE = 3;
let t: TestApp;
/** The same service with a small per-client limit, for counting what minting costs. */
let limited: TestApp;
let platform: LtiPlatformDouble;

beforeAll(async () => {
  platform = await startLtiPlatform();
  // No engine: a submission that reaches one answers 503, one refused before it 403.
  const docker = { host: "unix:///nonexistent/no-engine.sock", timeoutMs: 500, concurrency: 2 };
  [t, limited] = await Promise.all([
    buildTestApp({ docker }),
    buildTestApp({
      docker,
      rateLimitPerMinute: PER_MINUTE,
      // Each launch comes from its own address, as learners' browsers do: the per-IP limit stays out of it.
      trustProxy: true,
      secretsKey: randomBytes(32),
    }),
  ]);
}, 60_000);
afterAll(async () => {
  await t?.close();
  await limited?.close();
  await platform?.close();
});

async function mint(auth: string, learnerId: string, on = t) {
  return request(on.app.server).post(`/v1/learners/${learnerId}/sessions`).set("authorization", auth).send({});
}

const asSession = (token: string) => `Bearer ${token}`;

describe("a session's permissions are at most its client's", () => {
  it("a client that may only grade cannot read progress through its session", async () => {
    const grader = await createTestClient(t.prisma, ["submissions:write"], "grader only");
    const minted = await mint(grader.auth, "solo-notas");
    expect(minted.status).toBe(201);
    // The key itself may not read progress…
    const byKey = await request(t.app.server).get("/v1/learners/solo-notas/progress").set("authorization", grader.auth);
    expect(byKey.status).toBe(403);
    // …and neither may the session it minted.
    for (const path of ["/v1/learners/solo-notas/progress", "/v1/learners/solo-notas/submissions"]) {
      const bySession = await request(t.app.server).get(path).set("authorization", asSession(minted.body.token));
      expect(bySession.status, path).toBe(403);
      expect(bySession.body).toMatchObject({ requiredScope: "progress:read" });
    }
    // What the client may do, its session may do.
    const me = await request(t.app.server).get("/v1/session").set("authorization", asSession(minted.body.token));
    expect(me.status).toBe(200);
  });

  it("loses at once what its client loses later", async () => {
    const lms = await createTestClient(t.prisma, ["submissions:write", "progress:read", "engine:shared"], "narrowed");
    const { token } = (await mint(lms.auth, "estrecha")).body as { token: string };
    const progress = () =>
      request(t.app.server).get("/v1/learners/estrecha/progress").set("authorization", asSession(token));
    const submit = () =>
      request(t.app.server)
        .post("/v1/exercises/alpine-una-vez/submissions")
        .set("authorization", asSession(token))
        .send({ learnerId: "estrecha", containerName: "alpine-una-vez" });
    expect((await progress()).status).toBe(200);
    // engine:shared held: the shared engine is asked (and is not there).
    expect((await submit()).status).toBe(503);

    await t.prisma.apiClient.update({ where: { id: lms.id }, data: { scopes: ["submissions:write"] } });
    const narrowed = await progress();
    expect(narrowed.status).toBe(403);
    expect(narrowed.body.requiredScope).toBe("progress:read");
    const withoutEngine = await submit();
    expect(withoutEngine.status).toBe(403);
    expect(withoutEngine.body.type).toMatch(/\/engine-not-granted$/);

    // Given back, it does not come back to sessions minted while it was held: they keep their mint-time scopes.
    await t.prisma.apiClient.update({
      where: { id: lms.id },
      data: { scopes: ["submissions:write", "progress:read", "engine:shared", "admin"] },
    });
    expect((await progress()).status).toBe(200);
    const clients = await request(t.app.server).get("/v1/clients").set("authorization", asSession(token));
    expect(clients.status).toBe(403);
  });
});

describe("minting sessions counts under the client's limit", () => {
  let lms: { id: string; auth: string };
  let launches = 0;

  beforeAll(async () => {
    const admin = await createTestClient(limited.prisma, ["admin"], "admin");
    lms = await createTestClient(limited.prisma, ["submissions:write", "progress:read"], "lms with lti");
    await request(limited.app.server)
      .post("/v1/lti/platforms")
      .set("authorization", admin.auth)
      .send(platform.registrationFor(lms.id))
      .expect(201);
  });

  /** One learner's LTI launch, from an address of its own: login, the platform's answer, the launch. */
  async function launch() {
    launches++;
    const from = `203.0.113.${launches}`;
    platform.nextLaunch = { sub: `lti-learner-${launches}` };
    const login = await request(limited.app.server)
      .get("/lti/login")
      .set("x-forwarded-for", from)
      .query({
        iss: platform.issuer,
        login_hint: "hint",
        target_link_uri: "http://tool.example/lti/launch",
        client_id: platform.clientId,
      })
      .expect(302);
    const stateCookie = String(login.headers["set-cookie"]).split(";")[0] ?? "";
    const posted = await platform.authorize(login.headers.location ?? "");
    return request(limited.app.server)
      .post("/lti/launch")
      .type("form")
      .set("x-forwarded-for", from)
      .set("cookie", stateCookie)
      .send({ id_token: posted.id_token, state: posted.state });
  }

  it(`allows ${PER_MINUTE} sessions a minute per client, through the API and LTI launches together`, async () => {
    expect((await mint(lms.auth, "primera", limited)).status).toBe(201);
    const launched = await launch();
    expect(launched.status, launched.text).toBe(303);
    expect(String(launched.headers["set-cookie"])).toContain("aprendiendo_session=");
    expect((await launch()).status).toBe(303);

    // The key has made two requests of its three: its own limit would let a third mint through.
    const overByApi = await mint(lms.auth, "cuarta", limited);
    expect(overByApi.status).toBe(429);
    expect(overByApi.body.type).toMatch(/\/rate-limited$/);
    expect(overByApi.headers["retry-after"]).toMatch(/^\d+$/);
    const overByLaunch = await launch();
    expect(overByLaunch.status).toBe(429);
    expect(String(overByLaunch.headers["set-cookie"] ?? "")).not.toContain("aprendiendo_session=");

    expect(await limited.prisma.learnerSession.count({ where: { clientId: lms.id } })).toBe(PER_MINUTE);
  });
});
