import { randomBytes } from "node:crypto";
import { createLocalJWKSet, jwtVerify } from "jose";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxScoreOf } from "../../src/grading/exercise.js";
import { learnerIdOnPlatform } from "../../src/lti/launch.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import {
  chooseThrough,
  deepLinkingResponseOf,
  type LtiPlatformDouble,
  loginThrough,
  pickerFormOf,
  sessionCookieOf,
  startLtiPlatform,
} from "../support/lti-platform.js";

/** The tool as Moodle or Canvas use it: registration, login, launch and deep linking, over real HTTP. */
let t: TestApp;
let platform: LtiPlatformDouble;
let admin: { auth: string };
let lms: { id: string };
/** The learner a sub becomes on this platform. */
const learnerOf = (sub: string) =>
  learnerIdOnPlatform({ issuer: platform.issuer, platformClientId: platform.clientId }, sub);

beforeAll(async () => {
  platform = await startLtiPlatform();
  t = await buildTestApp({ secretsKey: randomBytes(32), frameAncestors: [new URL(platform.issuer).origin] });
  admin = await createTestClient(t.prisma, ["admin"]);
  lms = await createTestClient(t.prisma, ["submissions:write", "progress:read", "engine:shared"]);
  const registered = await request(t.app.server)
    .post("/v1/lti/platforms")
    .set("authorization", admin.auth)
    .send(platform.registrationFor(lms.id));
  expect(registered.status, registered.text).toBe(201);
  expect(registered.body.tool.loginUrl).toMatch(/\/lti\/login$/);
});
afterAll(async () => {
  await t?.close();
  await platform?.close();
});

/** Login initiation, the platform's authorization answer, and the launch POST from the same browser. */
async function launch(options: { cookie?: (state: string) => string | undefined } = {}) {
  const login = await request(t.app.server)
    .get("/lti/login")
    .query({
      iss: platform.issuer,
      login_hint: "hint-1",
      target_link_uri: "http://tool.example/lti/launch",
      client_id: platform.clientId,
    })
    .expect(302);
  const setCookie = String(login.headers["set-cookie"]);
  expect(setCookie).toMatch(/^lti_state_[^=;]+=[^;]+; Path=\/lti; .*HttpOnly; Secure; SameSite=None; Partitioned$/);
  const browserState = /^lti_state_[^=;]+=([^;]+)/.exec(setCookie)?.[1] ?? "";
  const posted = await platform.authorize(login.headers.location ?? "");
  expect(posted.state).toBe(browserState);
  const cookie = options.cookie ? options.cookie(browserState) : `lti_state_${browserState}=${browserState}`;
  const call = request(t.app.server).post("/lti/launch").type("form");
  return {
    response: await (cookie ? call.set("cookie", cookie) : call).send({
      id_token: posted.id_token,
      state: posted.state,
    }),
    replay: () =>
      request(t.app.server)
        .post("/lti/launch")
        .type("form")
        .set("cookie", `lti_state_${browserState}=${browserState}`)
        .send({ id_token: posted.id_token, state: posted.state }),
  };
}

describe("a learner's launch", () => {
  it("verifies the id_token, maps sub to a learner of the platform and lands on the exercise's lesson, signed in", async () => {
    platform.nextLaunch = { sub: "canvas-user-42", custom: { exercise_id: "alpine-una-vez" } };
    const { response } = await launch();
    expect(response.status, response.text).toBe(303);
    const lesson = t.app.curriculum.exercises.get("alpine-una-vez")?.lesson;
    expect(response.headers.location).toBe(`/lessons/${lesson}`);
    const cookie = sessionCookieOf(response);
    const me = await request(t.app.server).get("/v1/session").set("cookie", cookie).expect(200);
    expect(me.body.learnerId).toMatch(/^lti-[0-9a-f]{12}-canvas-user-42$/);
    expect(me.body.learnerId).toBe(learnerOf("canvas-user-42"));
    expect(await t.prisma.learner.count({ where: { clientId: lms.id, id: me.body.learnerId } })).toBe(1);
    // The page it lands on may be framed by the LMSs named in FRAME_ANCESTORS.
    const page = await request(t.app.server)
      .get(response.headers.location ?? "/")
      .expect(200);
    expect(page.headers["content-security-policy"]).toContain(`frame-ancestors 'self' ${platform.issuer}`);
  });

  it("a placed lesson lands on that lesson, signed in", async () => {
    platform.nextLaunch = { sub: "canvas-user-43", custom: { lesson_slug: "redes" } };
    const { response } = await launch();
    expect(response.status, response.text).toBe(303);
    expect(response.headers.location).toBe("/lessons/redes");
  });

  it("maps a sub of any printable ASCII, up to 255 characters, to a learner id usable in paths", async () => {
    const sub = `moodle|${"x".repeat(240)}/é`.replace("é", "~");
    platform.nextLaunch = { sub };
    const { response } = await launch();
    expect(response.status, response.text).toBe(303);
    const link = await t.prisma.ltiLearner.findFirstOrThrow({ where: { sub } });
    expect(link.learnerId).toMatch(/^lti-[0-9a-f]{12}-sha256:[0-9a-f]{64}$/);
    // The longest sub that still fits beside the platform's prefix is kept readable; a longer one is digested.
    const fits = "a".repeat(255 - "lti-123456789abc-".length);
    const long = "a".repeat(255);
    for (const sub of [fits, long]) {
      platform.nextLaunch = { sub };
      expect((await launch()).response.status).toBe(303);
    }
    expect(learnerOf(fits)).toMatch(new RegExp(`^lti-[0-9a-f]{12}-${fits}$`));
    expect(learnerOf(long)).toMatch(/^lti-[0-9a-f]{12}-sha256:[0-9a-f]{64}$/);
    expect(await t.prisma.learner.count({ where: { id: { in: [learnerOf(fits), learnerOf(long)] } } })).toBe(2);
  });
});

describe("launches that are refused with 401 and say why", () => {
  const refusals: [string, () => void, RegExp][] = [
    [
      "a token for another tool (wrong aud)",
      () => (platform.nextLaunch = { sub: "u", claims: { aud: "someone-else" } }),
      /aud/,
    ],
    ["an expired token", () => (platform.nextLaunch = { sub: "u", expiresIn: -60 }), /expired/],
    ["a token without exp", () => (platform.nextLaunch = { sub: "u", withoutExp: true }), /exp/],
    [
      "a key id the platform's JWKS does not have",
      () => (platform.nextLaunch = { sub: "u", unpublishedKey: true }),
      /kid/,
    ],
    ["a tampered signature", () => (platform.nextLaunch = { sub: "u", tamper: true }), /signature/],
    [
      "another LTI version",
      () =>
        (platform.nextLaunch = { sub: "u", claims: { "https://purl.imsglobal.org/spec/lti/claim/version": "1.1" } }),
      /version/,
    ],
    [
      "an unknown message type",
      () =>
        (platform.nextLaunch = {
          sub: "u",
          claims: { "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiSubmissionReviewRequest" },
        }),
      /message_type/,
    ],
    [
      "an unregistered deployment",
      () =>
        (platform.nextLaunch = {
          sub: "u",
          claims: { "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "other" },
        }),
      /deployment/,
    ],
  ];
  for (const [what, arrange, reason] of refusals) {
    it(what, async () => {
      arrange();
      const { response } = await launch();
      expect(response.status).toBe(401);
      expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(response.body.detail).toMatch(reason);
    });
  }

  it("a replayed launch: the nonce is accepted once only", async () => {
    platform.nextLaunch = { sub: "replayed" };
    const { response, replay } = await launch();
    expect(response.status).toBe(303);
    const again = await replay();
    expect(again.status).toBe(401);
    expect(again.body.detail).toMatch(/nonce was already used|already used/);
  });

  it("a launch whose state is not this browser's cookie, or that has no cookie", async () => {
    platform.nextLaunch = { sub: "u" };
    const someoneElses = () => "lti_state_someone-elses-state=someone-elses-state";
    for (const cookie of [someoneElses, (state: string) => `lti_state_${state}=someone-elses-state`, () => undefined]) {
      const { response } = await launch({ cookie });
      expect(response.status).toBe(401);
      expect(response.body.detail).toMatch(/browser/);
    }
  });

  it("a refused launch in the platform's iframe reads as a page in the learner's language, framable by the platform", async () => {
    const { posted } = await loginThrough(t.app.server, platform, { sub: "no-cookie" });
    const post = (accept: string, language: string) =>
      request(t.app.server)
        .post("/lti/launch")
        .type("form")
        .set("accept", accept)
        .set("accept-language", language)
        .send({ id_token: posted.id_token, state: posted.state }); // no state cookie: third-party cookies blocked
    const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    const spanish = await post(browser, "es-ES,es;q=0.9");
    expect(spanish.status).toBe(401);
    expect(spanish.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(spanish.text).toContain('<html lang="es">');
    expect(spanish.text).toContain("No pudimos abrir esta actividad");
    expect(spanish.text).toContain("The state does not belong to this browser"); // folded, for the teacher
    expect(spanish.headers["content-security-policy"]).toContain(
      `frame-ancestors 'self' ${new URL(platform.issuer).origin}`,
    );
    expect(spanish.headers["x-frame-options"]).toBeUndefined();

    const english = await post(browser, "en-GB,en;q=0.9");
    expect(english.text).toContain("We could not open this activity");

    const api = await post("application/json", "en");
    expect(api.status).toBe(401);
    expect(api.headers["content-type"]).toMatch(/^application\/problem\+json/);
  });

  it("two launches begun in one browser both land: each login has its own state cookie", async () => {
    const login = async (sub: string) => {
      const { stateCookie, posted } = await loginThrough(t.app.server, platform, { sub });
      return { cookie: stateCookie, posted };
    };
    const first = await login("tab-1");
    const second = await login("tab-2");
    expect(first.cookie).not.toBe(second.cookie);
    const jar = `${first.cookie}; ${second.cookie}`;
    for (const { posted } of [first, second]) {
      const landed = await request(t.app.server)
        .post("/lti/launch")
        .type("form")
        .set("cookie", jar)
        .send({ id_token: posted.id_token, state: posted.state });
      expect(landed.status, landed.text).toBe(303);
      // The used login's cookie is cleared with the answer; the session cookie is set beside it.
      const set = ([] as string[]).concat(landed.headers["set-cookie"] ?? []);
      expect(set).toContainEqual(expect.stringMatching(new RegExp(`^lti_state_${posted.state}=; .*Max-Age=0`)));
      expect(set.some((line) => !line.startsWith("lti_state_"))).toBe(true);
    }
  });

  it("a login from an unknown issuer", async () => {
    const refused = await request(t.app.server)
      .get("/lti/login")
      .query({ iss: "https://unknown.example", login_hint: "h", target_link_uri: "https://tool.example/lti/launch" })
      .expect(401);
    expect(refused.body.detail).toMatch(/No platform/);
    await request(t.app.server).get("/lti/login").query({ iss: "not a url" }).expect(400);
  });
});

describe("deep linking", () => {
  const itemsOf = (payload: Record<string, unknown>) =>
    payload["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"] as {
      type: string;
      title: string;
      url: string;
      custom: { exercise_id?: string; lesson_slug?: string };
      lineItem?: { scoreMaximum: number; resourceId: string; label: string };
    }[];

  it("offers every lesson and exercise, signs nothing until the teacher chooses, then answers a signed response verifiable with the tool's JWKS", async () => {
    platform.nextLaunch = { sub: "teacher-1", messageType: "LtiDeepLinkingRequest" };
    const { response } = await launch();
    expect(response.status, response.text).toBe(200);
    // The picker posts to the tool, which signs the platform's response only when the teacher chooses.
    expect(response.headers["content-security-policy"]).toContain("form-action 'self';");
    expect(response.text).not.toContain('name="JWT"');
    const picker = pickerFormOf(response.text);
    expect(picker.action).toBe("/lti/deep-linking/response");
    expect(picker.inputType).toBe("radio"); // no accept_multiple: one choice
    const lessons = t.app.curriculum.lessons;
    expect(picker.choices.map((choice) => choice.id)).toEqual(
      lessons.flatMap((lesson) => [
        `lesson:${lesson.slug}`,
        ...lesson.exercises.map((exercise) => `exercise:${exercise}`),
      ]),
    );

    const jwks = (await request(t.app.server).get("/lti/jwks").expect(200)).body;
    const verify = (jwt: string) =>
      jwtVerify(jwt, createLocalJWKSet(jwks), { issuer: platform.clientId, audience: platform.issuer });
    const exerciseId = "alpine-una-vez";
    const chosen = await chooseThrough(t.app.server, response, [`exercise:${exerciseId}`]);
    expect(chosen.status, chosen.text).toBe(200);
    const sent = deepLinkingResponseOf(chosen.text);
    expect(sent.action).toBe(`${platform.issuer}/deep-link-return`);
    expect(chosen.headers["content-security-policy"]).toContain(`form-action 'self' ${platform.issuer};`);
    const { payload, protectedHeader } = await verify(sent.jwt);
    expect(protectedHeader.kid).toBe(jwks.keys[0].kid);
    expect(payload).toMatchObject({
      "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
      "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
      "https://purl.imsglobal.org/spec/lti/claim/deployment_id": platform.deploymentId,
      "https://purl.imsglobal.org/spec/lti-dl/claim/data": "opaque-platform-data",
    });
    const exercise = t.app.curriculum.exercises.get(exerciseId);
    if (!exercise) throw new Error(`no exercise ${exerciseId}`);
    expect(itemsOf(payload)).toEqual([
      expect.objectContaining({
        type: "ltiResourceLink",
        title: exercise.title.es,
        custom: { exercise_id: exerciseId },
        lineItem: { scoreMaximum: maxScoreOf(exercise), resourceId: exerciseId, label: exercise.title.es },
      }),
    ]);

    // A lesson is read, not graded: no gradebook column of its own.
    platform.nextLaunch = { sub: "teacher-1", messageType: "LtiDeepLinkingRequest" };
    const again = (await launch()).response;
    const lesson = await chooseThrough(t.app.server, again, [`lesson:${lessons[1]?.slug}`]);
    const [item] = itemsOf((await verify(deepLinkingResponseOf(lesson.text).jwt)).payload);
    expect(item).toMatchObject({ custom: { lesson_slug: lessons[1]?.slug }, title: lessons[1]?.title.es });
    expect(item?.lineItem).toBeUndefined();
  });

  it("after a key rotation, signs with the new key and still publishes the old one", async () => {
    const before = (await request(t.app.server).get("/lti/jwks").expect(200)).body.keys;
    const rotated = await request(t.app.server).post("/v1/lti/keys").set("authorization", admin.auth).expect(201);
    const after = (await request(t.app.server).get("/lti/jwks").expect(200)).body.keys;
    expect(after.map((key: { kid: string }) => key.kid)).toEqual([
      rotated.body.kid,
      ...before.map((k: { kid: string }) => k.kid),
    ]);
    expect(JSON.stringify(after)).not.toMatch(/"d":/); // no private part is ever published
    platform.nextLaunch = { sub: "teacher-1", messageType: "LtiDeepLinkingRequest" };
    const { response } = await launch();
    const chosen = await chooseThrough(t.app.server, response, ["exercise:alpine-una-vez"]);
    const { protectedHeader } = await jwtVerify(
      deepLinkingResponseOf(chosen.text).jwt,
      createLocalJWKSet({ keys: after }),
    );
    expect(protectedHeader.kid).toBe(rotated.body.kid);
  });
});

describe("platform registrations", () => {
  it("are admin only and refuse bad input naming the field", async () => {
    await request(t.app.server).get("/v1/lti/platforms").expect(401);
    const listed = await request(t.app.server).get("/v1/lti/platforms").set("authorization", admin.auth).expect(200);
    expect(listed.body.items).toHaveLength(1);
    const bad = await request(t.app.server)
      .post("/v1/lti/platforms")
      .set("authorization", admin.auth)
      .send({
        apiClientId: lms.id,
        issuer: "nope",
        clientId: "c",
        deploymentIds: ["d"],
        authUrl: "x",
        tokenUrl: "x",
        jwksUrl: "x",
      })
      .expect(400);
    expect(JSON.stringify(bad.body)).toContain("issuer");
    const taken = await request(t.app.server)
      .post("/v1/lti/platforms")
      .set("authorization", admin.auth)
      .send({
        apiClientId: lms.id,
        issuer: platform.issuer,
        clientId: platform.clientId,
        deploymentIds: ["d"],
        authUrl: platform.authUrl,
        tokenUrl: platform.tokenUrl,
        jwksUrl: platform.jwksUrl,
      })
      .expect(422);
    expect(taken.body.errors[0].path).toBe("body.clientId");
  });
});
