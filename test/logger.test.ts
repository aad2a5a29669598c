import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseClient, type Database } from "../src/db/prisma.js";
import { redactSecretFields } from "../src/logger.js";
import { createTestClient, createTestDatabase, type TestDatabase } from "./helper.js";
import { exitCode, listeningAddress, startServer } from "./server-process.js";

/**
 * Issue 21: "incoming request" held /session?token=ads_…, a session link valid for 30 days. The real
 * server, at its most talkative level, through a flow that carries every kind of credential.
 */
describe("the server's log", () => {
  let database: TestDatabase;
  let prisma: Database;
  beforeAll(async () => {
    database = await createTestDatabase();
    prisma = createDatabaseClient(database.url);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await database?.drop();
  });

  it("holds no session token, API key, webhook secret or secret query parameter", async () => {
    const admin = await createTestClient(prisma, ["admin"], "log admin");
    const server = startServer({ DATABASE_URL: database.url, LOG_LEVEL: "trace" });
    const secrets: string[] = [admin.key];
    try {
      const url = await listeningAddress(server.output);
      await request(url).get("/v1/clients").set("authorization", admin.auth).expect(200);
      const lms = await request(url)
        .post("/v1/clients")
        .set("authorization", admin.auth)
        .send({ name: "log LMS", scopes: ["submissions:write", "progress:read", "webhooks:manage"] })
        .expect(201);
      const lmsAuth = `Bearer ${lms.body.key}`;
      const session = await request(url)
        .post("/v1/learners/ana/sessions")
        .set("authorization", lmsAuth)
        .send({})
        .expect(201);
      secrets.push(lms.body.key, session.body.token);

      // The link a learner opens, then the token and the cookie it sets.
      const opened = await request(url).get(new URL(session.body.url).pathname + new URL(session.body.url).search);
      expect(opened.status).toBe(303);
      const cookie = String(opened.headers["set-cookie"]).split(";")[0] ?? "";
      await request(url).get("/v1/session").set("authorization", `Bearer ${session.body.token}`).expect(200);
      await request(url).get("/v1/session").set("cookie", cookie).expect(200);
      // A key that was never issued is still a secret-shaped string someone sent.
      const guessed = `adk_${"x".repeat(43)}`;
      secrets.push(guessed);
      await request(url).get("/v1/clients").set("authorization", `Bearer ${guessed}`).expect(401);
      await request(url).get(`/session?token=ads_${"y".repeat(43)}`);

      // A webhook whose URL carries its own credential: its refused delivery logs the URL.
      const hookKey = "hook-credential-2f9c";
      secrets.push(hookKey);
      const webhook = await request(url)
        .post("/v1/webhooks")
        .set("authorization", lmsAuth)
        .send({ url: `https://hooks.example.invalid/in?key=${hookKey}`, events: ["submission.graded"] })
        .expect(201);
      secrets.push(webhook.body.secret);
      // Answers to questions are graded without an engine.
      await request(url)
        .post("/v1/exercises/preguntas-que-es-docker/submissions")
        .set("authorization", `Bearer ${session.body.token}`)
        .send({ learnerId: "ana", answers: {} })
        .expect(201);
      await expect.poll(() => server.output(), { timeout: 20_000 }).toContain('"msg":"webhook not sent"');
    } finally {
      server.child.kill("SIGTERM");
      expect(await exitCode(server.child)).toBe(0);
    }

    const lines = server.output().split("\n");
    const sessionLink = lines.find((line) => line.includes('"incoming request"') && line.includes("/session?"));
    expect(sessionLink, "the link's request is still logged").toContain("/session?token=[redacted]");
    const refused = lines.find((line) => line.includes('"msg":"webhook not sent"'));
    expect(refused).toContain(`?key=[redacted]`);
    for (const secret of secrets) expect(server.output()).not.toContain(secret);
    expect(lines.filter((line) => /ads_|adk_|whsec_/.test(line))).toEqual([]);
  }, 180_000);
});

describe("redactSecretFields", () => {
  it("hides a secret field's value at the top, one level down, and in headers or body, whatever it looks like", () => {
    const line = {
      password: "hunter2",
      client: { name: "LMS", key: "plain-looking", nested: { token: "three levels down is not a field we name" } },
      req: { headers: { Authorization: "Basic x", accept: "*/*" }, body: { secret: "s" } },
      msg: "kept",
    };
    expect(redactSecretFields(line)).toEqual({
      password: "[redacted]",
      client: { name: "LMS", key: "[redacted]", nested: { token: "three levels down is not a field we name" } },
      req: { headers: { Authorization: "[redacted]", accept: "*/*" }, body: { secret: "[redacted]" } },
      msg: "kept",
    });
    expect(line.password, "the logged object itself is left as it was").toBe("hunter2");
  });

  it("returns the same object when there is nothing to hide, and leaves errors whole", () => {
    const error = new Error("boom");
    const line = { err: error, status: 500 };
    expect(redactSecretFields(line)).toBe(line);
  });
});
