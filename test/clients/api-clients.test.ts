import { execFile } from "node:child_process";
import { promisify } from "node:util";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiKey } from "../../src/clients/api-key.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";

const run = promisify(execFile);

let t: TestApp;
let admin: { id: string; auth: string };
beforeAll(async () => {
  t = await buildTestApp();
  admin = await createTestClient(t.prisma, ["admin"], "root admin");
});
afterAll(async () => {
  await t.close();
});

describe("an API client without a valid key", () => {
  it("gets 401 problem+json with a Bearer challenge when no key is sent", async () => {
    const response = await request(t.app.server).get("/v1/clients").expect(401);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.headers["www-authenticate"]).toBe('Bearer realm="aprendiendo-docker"');
    expect(response.body).toMatchObject({ status: 401, title: "Unauthorized" });
  });

  it.each([
    ["an unknown key", `Bearer adk_${"A".repeat(43)}`],
    ["a malformed key", "Bearer not-a-key"],
    ["another scheme", "Basic YWRtaW46YWRtaW4="],
  ])("gets 401 invalid_token for %s", async (_label, header) => {
    const response = await request(t.app.server).get("/v1/clients").set("authorization", header).expect(401);
    expect(response.headers["www-authenticate"]).toContain('error="invalid_token"');
  });

  it("gets 403 naming the missing scope when the key lacks it", async () => {
    const reader = await createTestClient(t.prisma, ["progress:read", "content:read"]);
    const response = await request(t.app.server).get("/v1/clients").set("authorization", reader.auth).expect(403);
    expect(response.body).toMatchObject({ status: 403, requiredScope: "admin" });
    expect(response.body.detail).toContain('"admin"');
    expect(response.headers["www-authenticate"]).toContain('scope="admin"');
  });
});

describe("admins manage clients through the API", () => {
  it("creates a client whose key is shown once and stored only as its SHA-256", async () => {
    const created = await request(t.app.server)
      .post("/v1/clients")
      .set("authorization", admin.auth)
      .send({
        name: "Moodle UNAM",
        scopes: ["submissions:write", "progress:read"],
        homePage: "https://moodle.unam.example",
      })
      .expect(201);
    expect(created.body).toMatchObject({
      name: "Moodle UNAM",
      scopes: ["submissions:write", "progress:read"],
      homePage: "https://moodle.unam.example",
    });
    expect(created.body.key).toMatch(/^adk_[A-Za-z0-9_-]{43}$/);
    expect(created.headers.location).toBe(`/v1/clients/${created.body.id}`);
    expect(created.headers["cache-control"]).toBe("no-store");

    const row = await t.prisma.apiClient.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(row.keyHash).toBe(hashApiKey(created.body.key));
    expect(JSON.stringify(row)).not.toContain(created.body.key);

    const listed = await request(t.app.server).get("/v1/clients?limit=100").set("authorization", admin.auth);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
    expect(listed.body.items.map((c: { id: string }) => c.id)).toContain(created.body.id);

    // The new key works for its own scopes and nothing more.
    const asNew = `Bearer ${created.body.key}`;
    const denied = await request(t.app.server)
      .post("/v1/clients")
      .set("authorization", asNew)
      .send({
        name: "escalation",
        scopes: ["admin"],
      });
    expect(denied.status).toBe(403);
  });

  it("rejects unknown scopes and empty names with 400", async () => {
    for (const body of [
      { name: "x", scopes: ["root"] },
      { name: "", scopes: ["admin"] },
      { name: "x", scopes: [] },
    ]) {
      await request(t.app.server).post("/v1/clients").set("authorization", admin.auth).send(body).expect(400);
    }
  });

  it("lists every client exactly once across cursor pages, and caps the page size", async () => {
    for (let i = 0; i < 5; i++) await createTestClient(t.prisma, ["content:read"], `paged ${i}`);
    const total = await t.prisma.apiClient.count({ where: { revokedAt: null } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response: request.Response = await request(t.app.server)
        .get("/v1/clients")
        .query(cursor ? { limit: 2, cursor } : { limit: 2 })
        .set("authorization", admin.auth)
        .expect(200);
      expect(response.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...response.body.items.map((c: { id: string }) => c.id));
      cursor = response.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);

    await request(t.app.server).get("/v1/clients?limit=101").set("authorization", admin.auth).expect(400);
    await request(t.app.server).get("/v1/clients?cursor=garbage").set("authorization", admin.auth).expect(400);
  });

  it("revokes a client: its key gets 401 at once, it leaves the list, and a second delete is 404", async () => {
    const victim = await createTestClient(t.prisma, ["admin"], "to revoke");
    await request(t.app.server).get("/v1/clients").set("authorization", victim.auth).expect(200);
    await request(t.app.server).delete(`/v1/clients/${victim.id}`).set("authorization", admin.auth).expect(204);
    await request(t.app.server).get("/v1/clients").set("authorization", victim.auth).expect(401);
    const listed = await request(t.app.server).get("/v1/clients?limit=100").set("authorization", admin.auth);
    expect(listed.body.items.map((c: { id: string }) => c.id)).not.toContain(victim.id);
    await request(t.app.server).delete(`/v1/clients/${victim.id}`).set("authorization", admin.auth).expect(404);
    // The row stays (its learners and grades are kept), only its key is dead.
    expect(await t.prisma.apiClient.findUnique({ where: { id: victim.id } })).toMatchObject({
      revokedAt: expect.any(Date),
    });
  });

  it("replaces a client's key: the new one works, the old one gets 401 at once, and a revoked client has none to replace", async () => {
    const holder = await createTestClient(t.prisma, ["admin"], "key to replace");
    await request(t.app.server).get("/v1/clients").set("authorization", holder.auth).expect(200);
    const replaced = await request(t.app.server)
      .post(`/v1/clients/${holder.id}/key`)
      .set("authorization", admin.auth)
      .expect(200);
    expect(replaced.headers["cache-control"]).toBe("no-store");
    expect(replaced.body).toMatchObject({ id: holder.id, name: "key to replace", scopes: ["admin"] });
    expect(replaced.body.key).toMatch(/^adk_/);
    await request(t.app.server).get("/v1/clients").set("authorization", holder.auth).expect(401);
    await request(t.app.server).get("/v1/clients").set("authorization", `Bearer ${replaced.body.key}`).expect(200);
    expect(await t.prisma.apiClient.findUnique({ where: { id: holder.id } })).toMatchObject({
      keyHash: hashApiKey(replaced.body.key),
    });

    await request(t.app.server).delete(`/v1/clients/${holder.id}`).set("authorization", admin.auth).expect(204);
    const gone = await request(t.app.server).post(`/v1/clients/${holder.id}/key`).set("authorization", admin.auth);
    expect(gone.status).toBe(404);
    await request(t.app.server).get("/v1/clients").set("authorization", `Bearer ${replaced.body.key}`).expect(401);
  });
});

describe("every route under /v1", () => {
  it("declares an API key requirement; only the course content may be called without one", () => {
    const document = t.app.swagger() as {
      paths: Record<string, Record<string, { security?: object[]; tags?: string[] }>>;
    };
    const anonymous: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      if (!path.startsWith("/v1/")) continue;
      for (const [method, operation] of Object.entries(operations)) {
        expect(operation.security, `${method.toUpperCase()} ${path} declares no scope`).toBeDefined();
        if (operation.security?.some((requirement) => Object.keys(requirement).length === 0)) {
          anonymous.push(`${method.toUpperCase()} ${path}`);
        }
      }
    }
    expect(
      anonymous.every((route) => /^GET \/v1\/(lessons|commands|search|diagrams|exercises)/.test(route)),
      anonymous.join("\n"),
    ).toBe(true);
    expect(anonymous.length).toBeGreaterThan(3);
  });
});

describe("content access", () => {
  it("is public by default, but a bad key is still refused", async () => {
    await request(t.app.server).get("/v1/lessons").expect(200);
    await request(t.app.server).get("/v1/lessons").set("authorization", "Bearer adk_nope").expect(401);
  });

  it("requires content:read when REQUIRE_AUTH is on", async () => {
    const locked = await buildTestApp({ requireAuth: true });
    try {
      const reader = await createTestClient(locked.prisma, ["content:read"]);
      const grader = await createTestClient(locked.prisma, ["submissions:write", "engine:shared"]);
      const root = await createTestClient(locked.prisma, ["admin"]);
      await request(locked.app.server).get("/v1/lessons").expect(401);
      const forbidden = await request(locked.app.server).get("/v1/commands").set("authorization", grader.auth);
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.requiredScope).toBe("content:read");
      await request(locked.app.server).get("/v1/lessons").set("authorization", reader.auth).expect(200);
      await request(locked.app.server).get("/v1/lessons").set("authorization", root.auth).expect(200);
      await request(locked.app.server).get("/health").expect(200);
    } finally {
      await locked.close();
    }
  });
});

describe("rate limit and CORS", () => {
  it("answers 429 with Retry-After per client, without slowing other clients or health checks", async () => {
    const limited = await buildTestApp({ rateLimitPerMinute: 3, corsOrigins: ["https://lms.example"] });
    try {
      const a = await createTestClient(limited.prisma, ["admin"]);
      const b = await createTestClient(limited.prisma, ["admin"]);
      for (let i = 0; i < 3; i++) {
        await request(limited.app.server).get("/v1/clients").set("authorization", a.auth).expect(200);
      }
      const refused = await request(limited.app.server).get("/v1/clients").set("authorization", a.auth).expect(429);
      expect(refused.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
      expect(refused.body).toMatchObject({ status: 429, title: "Too Many Requests" });
      await request(limited.app.server).get("/v1/clients").set("authorization", b.auth).expect(200);
      for (let i = 0; i < 5; i++) await request(limited.app.server).get("/health").expect(200);

      const preflight = await request(limited.app.server)
        .options("/v1/clients")
        .set("origin", "https://lms.example")
        .set("access-control-request-method", "POST")
        .set("access-control-request-headers", "authorization,content-type");
      expect(preflight.status).toBe(204);
      expect(preflight.headers["access-control-allow-origin"]).toBe("https://lms.example");
      expect(preflight.headers["access-control-allow-headers"]).toContain("Authorization");
      const stranger = await request(limited.app.server).get("/health").set("origin", "https://evil.example");
      expect(stranger.headers["access-control-allow-origin"]).toBeUndefined();
    } finally {
      await limited.close();
    }
  });

  it("sends no CORS headers when no origins are configured", async () => {
    const response = await request(t.app.server).get("/health").set("origin", "https://lms.example");
    expect(response.headers["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("npm run client:create", () => {
  it("creates a working key on the configured database and prints it alone on the last line", async () => {
    const { stdout } = await run(
      "npm",
      ["run", "--silent", "client:create", "--", "--name", "First admin", "--scopes", "admin"],
      {
        env: { ...process.env, DATABASE_URL: t.databaseUrl, LOG_LEVEL: "silent" },
        timeout: 60_000,
      },
    );
    const lines = stdout.trim().split("\n");
    const key = lines.at(-1) ?? "";
    expect(key).toMatch(/^adk_[A-Za-z0-9_-]{43}$/);
    expect(lines.slice(0, -1).join("\n")).toContain("created client");
    await request(t.app.server).get("/v1/clients").set("authorization", `Bearer ${key}`).expect(200);
  });

  it("refuses unknown scopes with a usage message", async () => {
    const failure = await run("npm", ["run", "--silent", "client:create", "--", "--name", "x", "--scopes", "root"], {
      env: { ...process.env, DATABASE_URL: t.databaseUrl },
      timeout: 60_000,
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 64 });
    expect((failure as { stderr: string }).stderr).toContain("usage: npm run client:create");
  });
});
