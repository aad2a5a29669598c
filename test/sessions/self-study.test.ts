import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLoopbackHost, SELF_STUDY_LEARNER, signInSelfStudy } from "../../src/sessions/self-study.js";
import { buildTestApp } from "../helper.js";
import { exitCode, listeningAddress, startServer } from "../server-process.js";

/** The README's first section: `npm start` alone, then the one link it prints. */
describe("self-study from npm start", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "aprendiendo-self-study-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps one sign-in link on loopback, in a file only its user reads when the output is a log; it signs a browser in as the local learner", async () => {
    const server = startServer({ DATA_DIR: dataDir });
    try {
      const url = await listeningAddress(server.output);
      const file = path.join(dataDir, "sign-in-link.txt");
      await expect
        .poll(() => server.output(), { timeout: 20_000 })
        .toContain(`The link that signs you in to the course is in ${file}`);
      expect(server.output()).not.toMatch(/ads_/);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const links =
        (await readFile(file, "utf8")).match(/http:\/\/127\.0\.0\.1:\d+\/session\?token=ads_[\w-]{43}/g) ?? [];
      expect(links).toHaveLength(1);
      const link = new URL(links[0] ?? "");
      expect(link.origin).toBe(url);

      const opened = await request(url)
        .get(link.pathname + link.search)
        .expect(303);
      const cookie = String(opened.headers["set-cookie"]).split(";")[0] ?? "";
      const me = await request(url).get("/v1/session").set("cookie", cookie).expect(200);
      expect(me.body.learnerId).toBe("local");
      // The learner's page, with its own strict policy.
      const page = await request(url).get("/").expect(200);
      expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
      expect(page.headers["content-security-policy"]).not.toContain("unsafe-inline");
    } finally {
      server.child.kill("SIGTERM");
      expect(await exitCode(server.child)).toBe(0);
    }
  }, 180_000);

  it("prints no link on an address other computers reach", () => {
    for (const host of ["127.0.0.1", "127.0.0.2", "::1", "localhost"]) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "10.0.0.5", "example.org"])
      expect(isLoopbackHost(host), host).toBe(false);
  });
});

describe("self-study across start-ups", () => {
  // Issue 21: each start minted a 30-day session and revoked none, so four starts left four live links.
  it("leaves one live session: each start's link revokes the one the previous start printed", async () => {
    const t = await buildTestApp();
    try {
      const links: string[] = [];
      for (let start = 1; start <= 4; start++)
        links.push(await signInSelfStudy(t.app.storage, "http://127.0.0.1:3000"));
      const live = await t.prisma.learnerSession.count({
        where: { learnerId: SELF_STUDY_LEARNER, revokedAt: null, expiresAt: { gt: new Date() } },
      });
      expect(live).toBe(1);
      const tokens = links.map((link) => new URL(link).searchParams.get("token") ?? "");
      for (const token of tokens.slice(0, -1)) {
        await request(t.app.server).get("/v1/session").set("authorization", `Bearer ${token}`).expect(401);
      }
      const me = await request(t.app.server)
        .get("/v1/session")
        .set("authorization", `Bearer ${tokens.at(-1)}`)
        .expect(200);
      expect(me.body.learnerId).toBe(SELF_STUDY_LEARNER);
    } finally {
      await t.close();
    }
  });
});

describe("npm start on an address other computers reach", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "aprendiendo-public-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("serves the course, prints no sign-in link and signs nobody in", async () => {
    const server = startServer({ DATA_DIR: dataDir, HOST: "0.0.0.0" });
    try {
      const url = await listeningAddress(server.output);
      await request(url).get("/v1/lessons").expect(200);
      await expect.poll(() => server.output(), { timeout: 20_000 }).toContain("no self-study link");
      expect(server.output()).not.toMatch(/session\?token=/);
      expect(server.output()).not.toContain("this link signs you in");
      await request(url).get("/v1/session").expect(401);
    } finally {
      server.child.kill("SIGTERM");
      expect(await exitCode(server.child)).toBe(0);
    }
  }, 180_000);
});
