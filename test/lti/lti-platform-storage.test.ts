import { createHash, randomBytes } from "node:crypto";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helper.js";
import { LEARNER, type LtiPlatformDouble, registerWithTool, startLtiPlatform } from "../support/lti-platform.js";

/**
 * A platform that offers its client-side storage (lti_storage_target): the tool keeps the login's
 * state there, not in a cookie, and accepts the launch only once its own page has read the state back
 * (issue 25, item 2). What a browser does with the pages is tested in chromium (test/web/lti-iframe);
 * here, what the tool answers and what it refuses, over HTTP.
 */
let t: TestApp;
let platform: LtiPlatformDouble;

beforeAll(async () => {
  platform = await startLtiPlatform();
  t = await buildTestApp({ secretsKey: randomBytes(32) });
  await registerWithTool(t, platform);
});
afterAll(async () => {
  await t?.close();
  await platform?.close();
});

const loginQuery = (extra: Record<string, string> = {}) => ({
  iss: platform.issuer,
  login_hint: "hint",
  target_link_uri: "http://tool.example/lti/launch",
  client_id: platform.clientId,
  ...extra,
});

/** The inline script of a page, and whether the page's CSP allows exactly it, by hash. */
function scriptOf(page: { text: string; headers: Record<string, string> }) {
  const script = /<script>([\s\S]*)<\/script>/.exec(page.text)?.[1] ?? "";
  const hash = `'sha256-${createHash("sha256").update(script).digest("base64")}'`;
  return { script, allowed: page.headers["content-security-policy"]?.includes(`script-src ${hash};`) ?? false };
}

/** A login through the platform's storage: the state the page stores, and the platform's form post. */
async function storageLogin(sub: string) {
  platform.nextLaunch = { sub, roles: [LEARNER] };
  const login = await request(t.app.server)
    .get("/lti/login")
    .query(loginQuery({ lti_storage_target: "_parent" }))
    .set("accept-language", "es");
  expect(login.status).toBe(200);
  const redirectTo = /"on":"([^"]+)"/.exec(login.text)?.[1] ?? "";
  return { login, posted: await platform.authorize(redirectTo) };
}

const launchPost = (form: Record<string, string>, headers: Record<string, string> = {}) =>
  request(t.app.server).post("/lti/launch").type("form").set(headers).send(form);

describe("a login whose platform offers its storage", () => {
  it("sets no cookie, and answers a page that puts the state in the platform's frame, then goes on to the platform", async () => {
    const { login, posted } = await storageLogin("u-storage");
    expect(login.headers["set-cookie"]).toBeUndefined();
    expect(login.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(login.headers["content-security-policy"]).toContain(
      `frame-ancestors 'self' ${new URL(platform.issuer).origin}`,
    );
    const { script, allowed } = scriptOf(login);
    expect(allowed).toBe(true);
    expect(script).toContain(`"subject":"lti.put_data","key":"lti_state_${posted.state}","value":"${posted.state}"`);
    // Only the platform's frame, at its authorization endpoint's origin, is asked and believed.
    expect(script).toContain(`"origin":"${new URL(platform.authUrl).origin}"`);
    // If the frame refuses or stays silent, the login starts again with a cookie.
    expect(script).toMatch(/"back":"\/lti\/login\?iss=[^"]*client_id=[^"]*"/);
    expect(script).not.toMatch(/"back":"[^"]*lti_storage_target/);
  });

  it("refuses a storage target that names no frame, naming the field", async () => {
    const login = await request(t.app.server)
      .get("/lti/login")
      .query(loginQuery({ lti_storage_target: "javascript:alert(1)" }));
    expect(login.status).toBe(400);
    expect(JSON.stringify(login.body)).toContain("lti_storage_target");
  });
});

describe("its launch", () => {
  it("without a cookie gets the page that reads the state back, and uses up nothing", async () => {
    const { posted } = await storageLogin("u-check");
    for (let time = 0; time < 2; time++) {
      const page = await launchPost({ id_token: posted.id_token, state: posted.state }, { "accept-language": "en" });
      expect(page.status).toBe(200);
      expect(page.text).toContain('<form id="launch" method="post" action="/lti/launch">');
      expect(page.text).toContain('<input type="hidden" name="platform_storage" value="checked">');
      const { script, allowed } = scriptOf(page);
      expect(allowed).toBe(true);
      expect(script).toContain(`"subject":"lti.get_data","key":"lti_state_${posted.state}"`);
      expect(page.text).toContain("Opening the activity");
    }
    expect(await t.prisma.ltiLoginState.count({ where: { state: posted.state } })).toBe(1);
  });

  it("is accepted once the tool's own page posts it as checked", async () => {
    const { posted } = await storageLogin("u-checked");
    const landed = await launchPost(
      { id_token: posted.id_token, state: posted.state, platform_storage: "checked" },
      { "sec-fetch-site": "same-origin" },
    );
    expect(landed.status, landed.text).toBe(303);
    expect(await t.prisma.ltiLearner.count({ where: { sub: "u-checked" } })).toBe(1);
  });

  it("marked as checked by another site's form, or by a browser that names no origin, is refused and signs no one in", async () => {
    const { posted } = await storageLogin("u-forged");
    const origins: Record<string, string>[] = [
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      {},
    ];
    for (const headers of origins) {
      const forged = await launchPost(
        { id_token: posted.id_token, state: posted.state, platform_storage: "checked" },
        headers,
      );
      // Refused, never the checking page again: a browser without Fetch Metadata would loop on it.
      expect(forged.status).toBe(401);
      expect(forged.body.detail).toMatch(/does not belong to this browser/);
    }
    expect(await t.prisma.ltiLearner.count({ where: { sub: "u-forged" } })).toBe(0);
    // The login is not used up by the refusals: the tool's own page can still complete it.
    const landed = await launchPost(
      { id_token: posted.id_token, state: posted.state, platform_storage: "checked" },
      { "sec-fetch-site": "same-origin" },
    );
    expect(landed.status, landed.text).toBe(303);
  });
});

it("a login whose state went into a cookie is not accepted as checked in the platform's storage", async () => {
  platform.nextLaunch = { sub: "u-cookie", roles: [LEARNER] };
  const login = await request(t.app.server).get("/lti/login").query(loginQuery()).expect(302);
  const posted = await platform.authorize(login.headers.location ?? "");
  const launched = await launchPost(
    { id_token: posted.id_token, state: posted.state, platform_storage: "checked" },
    { "sec-fetch-site": "same-origin" },
  );
  expect(launched.status).toBe(401);
  expect(launched.body.detail).toMatch(/does not belong to this browser/);
  expect(await t.prisma.ltiLearner.count({ where: { sub: "u-cookie" } })).toBe(0);

  // In the platform's iframe the refusal is a page the platform may frame, though FRAME_ANCESTORS is empty here.
  const page = await launchPost(
    { id_token: posted.id_token, state: posted.state },
    { accept: "text/html", "accept-language": "es" },
  );
  expect(page.status).toBe(401);
  expect(page.text).toContain("No pudimos abrir esta actividad");
  expect(page.headers["content-security-policy"]).toContain(
    `frame-ancestors 'self' ${new URL(platform.issuer).origin}`,
  );
});
