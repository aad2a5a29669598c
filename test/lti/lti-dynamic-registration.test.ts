import { randomBytes } from "node:crypto";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_KEY_PREFIX } from "../../src/clients/api-key.js";
import type { ResolveHost } from "../../src/delivery/outbound.js";
import { learnerIdOnPlatform } from "../../src/lti/launch.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import { type LtiPlatformDouble, launchThrough, sessionCookieOf, startLtiPlatform } from "../support/lti-platform.js";

/**
 * LTI Dynamic Registration over real HTTP: the LMS admin's browser opens the tool's registration URL,
 * the tool reads the platform double's openid-configuration, registers itself at its registration
 * endpoint, and stores the platform under an API client of its own.
 */
let t: TestApp;
let platform: LtiPlatformDouble;
let admin: { auth: string };

beforeAll(async () => {
  platform = await startLtiPlatform();
  t = await buildTestApp({ secretsKey: randomBytes(32), ltiDynamicRegistration: true });
  admin = await createTestClient(t.prisma, ["admin"]);
  // The tool signs with a key of its own: one exists before the platform asks for a token.
  await request(t.app.server).post("/v1/lti/keys").set("authorization", admin.auth).expect(201);
});
afterAll(async () => {
  await t?.close();
  await platform?.close();
});

/** The admin's browser opening the registration URL the platform hands it. */
function openRegistration(app: TestApp, url: string, language = "en") {
  return request(app.app.server).get(url).set("accept", "text/html").set("accept-language", language);
}

describe("LTI Dynamic Registration", () => {
  it("refuses a wrong registration token at the platform and says so on a page, storing nothing", async () => {
    const url = new URL(platform.registrationUrl("http://tool"), "http://tool");
    url.searchParams.set("registration_token", "not-the-platform-token");
    const clientsBefore = await t.prisma.apiClient.count();
    const refused = await openRegistration(t, url.pathname + url.search, "es-ES,es;q=0.9");
    expect(refused.status).toBe(502);
    expect(refused.headers["content-type"]).toMatch(/^text\/html/);
    expect(refused.headers["content-language"]).toBe("es");
    expect(refused.text).toContain("No pudimos registrar Aprendiendo Docker");
    expect(refused.text).toContain("La plataforma rechazó el registro");
    expect(refused.text).not.toContain("org.imsglobal.lti.close");
    expect(platform.registrationPosts.at(-1)).toEqual({ status: 401, problem: "token" });
    expect(await t.prisma.ltiPlatform.count({ where: { issuer: platform.issuer } })).toBe(0);
    expect(await t.prisma.apiClient.count()).toBe(clientsBefore);
  });

  it("registers the tool as the spec asks, stores the platform under a new API client, and a launch through it works", async () => {
    const clientsBefore = await t.prisma.apiClient.count();
    const page = await openRegistration(t, platform.registrationUrl("http://tool"));
    expect(page.status, page.text).toBe(200);

    const [sent] = platform.registrations;
    const base = new URL(page.request.url).origin;
    expect(sent).toMatchObject({
      application_type: "web",
      response_types: ["id_token"],
      grant_types: ["implicit", "client_credentials"],
      initiate_login_uri: `${base}/lti/login`,
      redirect_uris: [`${base}/lti/launch`],
      jwks_uri: `${base}/lti/jwks`,
      token_endpoint_auth_method: "private_key_jwt",
      "https://purl.imsglobal.org/spec/lti-tool-configuration": {
        domain: new URL(base).host,
        target_link_uri: `${base}/lti/launch`,
        messages: [{ type: "LtiResourceLinkRequest" }, { type: "LtiDeepLinkingRequest" }],
      },
    });
    expect(String(sent?.scope).split(" ").sort()).toEqual([
      "https://purl.imsglobal.org/spec/lti-ags/scope/score",
      "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
    ]);

    const stored = await t.prisma.ltiPlatform.findFirstOrThrow({ where: { issuer: platform.issuer } });
    expect(stored).toMatchObject({
      platformClientId: platform.clientId,
      deploymentIds: [platform.deploymentId],
      authUrl: platform.authUrl,
      tokenUrl: platform.tokenUrl,
      jwksUrl: platform.jwksUrl,
    });
    const client = await t.prisma.apiClient.findUniqueOrThrow({ where: { id: stored.clientId } });
    expect(await t.prisma.apiClient.count()).toBe(clientsBefore + 1);
    expect(client.scopes.sort()).toEqual(["progress:read", "submissions:write"]);
    expect(client.revokedAt).toBeNull();

    // The page: the client's id and never its key, the close message, framable by the platform, one hashed script.
    expect(page.text).toContain("Aprendiendo Docker is registered");
    expect(page.text).toContain(`<code id="api-client">${client.id}</code>`);
    expect(page.text).not.toContain(API_KEY_PREFIX);
    expect(page.text).toContain('postMessage({ subject: "org.imsglobal.lti.close" }, "*")');
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+';/);
    expect(csp).toContain(`frame-ancestors 'self' ${new URL(platform.issuer).origin}`);

    const landed = await launchThrough(t.app.server, platform, {
      sub: "registered-learner",
      custom: { exercise_id: "alpine-una-vez" },
    });
    expect(landed.status, landed.text).toBe(303);
    expect(sessionCookieOf(landed)).not.toBe("");
    const learnerId = learnerIdOnPlatform(stored, "registered-learner");
    expect(await t.prisma.learner.count({ where: { clientId: client.id, id: learnerId } })).toBe(1);

    // The admin gives the registered client its first key; with it the LMS reads its own learner's progress.
    const keyed = await request(t.app.server)
      .post(`/v1/clients/${client.id}/key`)
      .set("authorization", admin.auth)
      .expect(200);
    await request(t.app.server)
      .get(`/v1/learners/${encodeURIComponent(learnerId)}/progress`)
      .set("authorization", `Bearer ${keyed.body.key}`)
      .expect(200);
  });

  it("refuses an issuer already registered, before asking the platform again", async () => {
    const postsBefore = platform.registrationPosts.length;
    const again = await openRegistration(t, platform.registrationUrl("http://tool"));
    expect(again.status).toBe(409);
    expect(again.text).toContain("This platform is already registered");
    expect(platform.registrationPosts.length).toBe(postsBefore);
  });

  it("refuses a configuration whose issuer is on another origin than the configuration's URL", async () => {
    const other = await startLtiPlatform();
    try {
      other.openidConfigurationOverrides = { issuer: "https://moodle.example" };
      const refused = await openRegistration(t, other.registrationUrl("http://tool"));
      expect(refused.status).toBe(400);
      expect(refused.text).toContain("configuration could not be read or is not valid");
      expect(other.registrationPosts).toEqual([]);
      expect(await t.prisma.ltiPlatform.count({ where: { issuer: "https://moodle.example" } })).toBe(0);
    } finally {
      await other.close();
    }
  });

  it("reads the configuration at the path the platform names", async () => {
    const other = await startLtiPlatform();
    try {
      other.openidConfigurationPath = "/lti/openid-configuration";
      const page = await openRegistration(t, other.registrationUrl("http://tool"));
      expect(page.status, page.text).toBe(200);
      expect(other.requests).toContain("GET /lti/openid-configuration");
    } finally {
      await other.close();
    }
  });

  it("answers a registration URL without a configuration with a 400 that names the field", async () => {
    const answer = await request(t.app.server).get("/lti/register?registration_token=t");
    expect(answer.status).toBe(400);
    expect(answer.text).toContain("openid_configuration");
  });

  it("is a 404 when LTI_DYNAMIC_REGISTRATION is off, and asks no platform anything", async () => {
    const off = await buildTestApp({ secretsKey: randomBytes(32) });
    const other = await startLtiPlatform();
    try {
      const answer = await openRegistration(off, other.registrationUrl("http://tool"));
      expect(answer.status).toBe(404);
      expect(other.requests).toEqual([]);
    } finally {
      await other.close();
      await off.close();
    }
  });

  it("refuses a configuration URL whose name resolves to a private address, through the outbound checks", async () => {
    const resolveHost: ResolveHost = async (hostname) => {
      if (hostname === "moodle.attacker.example") return [{ address: "169.254.169.254", family: 4 }];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    };
    const strict = await buildTestApp(
      {
        secretsKey: randomBytes(32),
        ltiDynamicRegistration: true,
        delivery: { ...t.app.config.delivery, allowPrivateUrls: false },
      },
      { resolveOutboundHost: resolveHost },
    );
    try {
      const clientsBefore = await strict.prisma.apiClient.count();
      const refused = await openRegistration(
        strict,
        `/lti/register?openid_configuration=${encodeURIComponent("https://moodle.attacker.example/.well-known/openid-configuration")}&registration_token=t`,
      );
      expect(refused.status).toBe(502);
      expect(refused.text).toContain("We could not reach the platform");
      expect(refused.text).not.toContain("169.254");
      expect(await strict.prisma.apiClient.count()).toBe(clientsBefore);
    } finally {
      await strict.close();
    }
  });
});
