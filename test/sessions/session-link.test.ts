import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helper.js";

/**
 * Login CSRF: a page on any site can make a browser open `/session?token=…` with a token of the
 * attacker's, and the learner would then work, and be graded, in the attacker's session. A browser
 * that already holds another learner's session is asked before it switches; the switch is a POST
 * from this service's own page. A browser with no session signs in at once, as a link is for.
 */
let t: TestApp;
const HOST = "learn.example";
const ORIGIN = `http://${HOST}`;

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t?.close();
});

async function mint(learnerId: string): Promise<{ id: string; token: string }> {
  const response = await request(t.app.server)
    .post(`/v1/learners/${learnerId}/sessions`)
    .set("authorization", t.auth)
    .send({});
  expect(response.status).toBe(201);
  return response.body;
}

const cookieOf = (token: string) => `aprendiendo_session=${token}`;
const setsSessionCookie = (response: request.Response) =>
  String(response.headers["set-cookie"] ?? "").includes("aprendiendo_session=ads_");

const open = (token: string, heldToken?: string) => {
  const call = request(t.app.server).get(`/session?token=${token}`).set("host", HOST);
  return heldToken ? call.set("cookie", cookieOf(heldToken)) : call;
};

const confirm = (token: string, headers: Record<string, string>) =>
  request(t.app.server).post("/session").set("host", HOST).set(headers).type("form").send({ token });

describe("opening a session link", () => {
  it("is never cached, whatever it answers", async () => {
    const victim = await mint("victima");
    const attacker = await mint("atacante");
    for (const response of [
      await open(attacker.token),
      await open(attacker.token, victim.token),
      await open(`ads_${"z".repeat(43)}`),
    ]) {
      expect(response.headers["cache-control"], `${response.status}`).toBe("no-store");
    }
  });

  it("in a browser with no session, signs in at once", async () => {
    const { token } = await mint("nueva");
    const response = await open(token).expect(303);
    expect(response.headers.location).toBe("/");
    expect(setsSessionCookie(response)).toBe(true);
  });

  it("in a browser signed in as another learner, asks on a page of its own instead of switching", async () => {
    const victim = await mint("victima");
    const attacker = await mint("atacante");
    const response = await open(attacker.token, victim.token);
    expect(response.status).toBe(200);
    expect(setsSessionCookie(response)).toBe(false);
    expect(response.headers["content-type"]).toMatch(/^text\/html/);
    expect(response.text).toContain("victima");
    expect(response.text).toContain("atacante");
    expect(response.text).toMatch(/<form method="post" action="\/session">/);
    // Only this origin's page, framed only where the course page may be; no script at all.
    expect(response.headers["content-security-policy"]).toContain("form-action 'self'");
    expect(response.headers["content-security-policy"]).toContain("frame-ancestors 'self'");
    expect(response.text).not.toMatch(/<script/);
    // The browser keeps the victim's session meanwhile.
    const me = await request(t.app.server).get("/v1/session").set("cookie", cookieOf(victim.token)).expect(200);
    expect(me.body.learnerId).toBe("victima");
  });

  it("speaks the browser's language", async () => {
    const held = await mint("idioma-a");
    const next = await mint("idioma-b");
    const english = await open(next.token, held.token).set("accept-language", "en-GB,en;q=0.9");
    expect(english.headers["content-language"]).toBe("en");
    expect(english.text).toContain('lang="en"');
    const spanish = await open(next.token, held.token);
    expect(spanish.headers["content-language"]).toBe("es");
  });

  it("switches at once when the browser's session is the same learner's, or no longer works", async () => {
    const earlier = await mint("misma");
    const later = await mint("misma");
    expect(setsSessionCookie(await open(later.token, earlier.token).expect(303))).toBe(true);

    const expired = await mint("caducada");
    await t.prisma.learnerSession.update({
      where: { id: expired.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const fresh = await mint("otra");
    expect(setsSessionCookie(await open(fresh.token, expired.token).expect(303))).toBe(true);
    expect(setsSessionCookie(await open(fresh.token, `ads_${"q".repeat(43)}`).expect(303))).toBe(true);
  });
});

describe("confirming the switch", () => {
  it("takes a POST from this service's own page", async () => {
    const { token } = await mint("confirmada");
    const response = await confirm(token, { origin: ORIGIN }).expect(303);
    expect(response.headers.location).toBe("/");
    expect(response.headers["cache-control"]).toBe("no-store");
    expect(setsSessionCookie(response)).toBe(true);
  });

  it("refuses a POST from another site, or one that does not say where it comes from", async () => {
    const { token } = await mint("forzada");
    const attempts: Record<string, string>[] = [{ origin: "https://evil.example" }, { origin: "null" }, {}];
    for (const headers of attempts) {
      const response = await confirm(token, headers);
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(response.body.type).toMatch(/\/session-refused$/);
      expect(setsSessionCookie(response)).toBe(false);
    }
  });

  it("lands on the page with the reason when the link stopped working meanwhile", async () => {
    const { id, token } = await mint("revocada");
    await t.prisma.learnerSession.update({ where: { id }, data: { revokedAt: new Date() } });
    const response = await confirm(token, { origin: ORIGIN }).expect(303);
    expect(response.headers.location).toBe("/?session=invalid");
  });
});
