import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildReplica, buildTestApp, createTestClient, type TestApp } from "../helper.js";
import { xapiWarnings } from "../submissions/exports/xapi-validator.js";
import { type LearningLockerLrs, startLearningLockerLrs } from "../support/learning-locker-lrs.js";
import { eventually } from "../support/polling.js";
import { fast } from "../support/webhook-steps.js";

/** Statements pushed to Learning Locker's real LRS, and read back from it and from us. */
let t: TestApp;
let lrs: LearningLockerLrs;
let lms: { id: string; auth: string };
/** A replica on the same database that grades but never sends: what it enqueues waits for t's worker. */
let grader: FastifyInstance;

beforeAll(async () => {
  lrs = await startLearningLockerLrs();
  const secretsKey = randomBytes(32);
  // This worker sends only when poked, so what is due at a poke goes out in one round.
  t = await buildTestApp({ ...fast({ pollIntervalMs: 60_000 }), secretsKey });
  grader = await buildReplica(t.databaseUrl, { ...fast({ workerEnabled: false }), secretsKey });
  lms = await createTestClient(t.prisma, ["submissions:write", "progress:read", "webhooks:manage", "engine:shared"]);
});
afterAll(async () => {
  await grader?.close();
  await t?.close();
  await lrs?.close();
});

const grade = (learnerId: string) =>
  request(grader.server)
    .post("/v1/exercises/alpine-una-vez/submissions")
    .set("authorization", lms.auth)
    .send({ learnerId, containerName: `no-such-container-${learnerId}` })
    .expect(201);
const deliveries = async () =>
  (await request(t.app.server).get("/v1/lrs/deliveries").set("authorization", lms.auth).expect(200)).body.items as {
    statementId: string;
    status: string;
    attempts: number;
    lastStatusCode: number | null;
  }[];

describe("an LRS for a client", () => {
  it("is set with credentials that are stored sealed and never shown", async () => {
    const set = await request(t.app.server)
      .put("/v1/lrs")
      .set("authorization", lms.auth)
      .send({ url: lrs.endpoint, username: lrs.username, password: lrs.password })
      .expect(200);
    expect(set.body).toEqual({ url: lrs.endpoint, username: lrs.username, updatedAt: expect.any(String) });
    const row = await t.prisma.lrsEndpoint.findUniqueOrThrow({ where: { clientId: lms.id } });
    expect(row.passwordEncrypted).not.toContain(lrs.password);
    const read = await request(t.app.server).get("/v1/lrs").set("authorization", lms.auth).expect(200);
    expect(JSON.stringify(read.body)).not.toContain(lrs.password);
  });

  it("can be set by an admin for a client, and not for an unknown one", async () => {
    const admin = await createTestClient(t.prisma, ["admin"]);
    const other = await createTestClient(t.prisma, ["webhooks:manage"]);
    const body = { url: lrs.endpoint, username: lrs.username, password: lrs.password };
    await request(t.app.server)
      .put(`/v1/clients/${other.id}/lrs`)
      .set("authorization", other.auth)
      .send(body)
      .expect(403);
    await request(t.app.server)
      .put(`/v1/clients/${other.id}/lrs`)
      .set("authorization", admin.auth)
      .send(body)
      .expect(200);
    const theirs = await request(t.app.server).get("/v1/lrs").set("authorization", other.auth).expect(200);
    expect(theirs.body.url).toBe(lrs.endpoint);
    await request(t.app.server)
      .put(`/v1/clients/${crypto.randomUUID()}/lrs`)
      .set("authorization", admin.auth)
      .send(body)
      .expect(404);
  });

  it("refuses bad input with a problem naming the field, and an LRS without SECRETS_KEY", async () => {
    for (const [body, field] of [
      [{ url: "ftp://lrs.example", username: "u", password: "p" }, "url"],
      [{ url: lrs.endpoint, username: "", password: "p" }, "username"],
      [{ url: lrs.endpoint, username: "u" }, "password"],
    ] as const) {
      const refused = await request(t.app.server).put("/v1/lrs").set("authorization", lms.auth).send(body).expect(400);
      expect(JSON.stringify(refused.body)).toContain(field);
    }
    const keyless = await buildTestApp({ ...fast(), secretsKey: undefined });
    try {
      const client = await createTestClient(keyless.prisma, ["webhooks:manage"]);
      const refused = await request(keyless.app.server)
        .put("/v1/lrs")
        .set("authorization", client.auth)
        .send({ url: lrs.endpoint, username: "u", password: "p" })
        .expect(422);
      expect(refused.body.errors).toEqual([{ path: "body.password", message: expect.stringContaining("SECRETS_KEY") }]);
    } finally {
      await keyless.close();
    }
  });
});

describe("every new grade's statement", () => {
  it("reaches the LRS in batches with X-Experience-API-Version, exactly as frozen", async () => {
    // Five grades due at once go out together in one POST.
    const graded = await Promise.all(["lrs-a", "lrs-b", "lrs-c", "lrs-d", "lrs-e"].map(grade));
    const ids = graded.map((response) => response.body.id as string);
    t.app.pokeDeliveries();
    const done = await eventually(deliveries, (items) => items.filter((d) => d.status === "delivered").length === 5);
    expect(done.map((d) => [d.status, d.lastStatusCode])).toEqual(Array(5).fill(["delivered", 200]));
    expect(done.map((d) => d.statementId).sort()).toEqual([...ids].sort());

    const posts = lrs.requests.filter((r) => r.method === "POST");
    expect(posts).toHaveLength(1);
    expect(posts.every((post) => post.version === "1.0.3" && post.status === 200)).toBe(true);

    const inLrs = await lrs.stored();
    for (const id of ids) {
      const ours = (await request(t.app.server).get(`/v1/submissions/${id}/export/xapi`).set("authorization", lms.auth))
        .body;
      expect(xapiWarnings(ours)).toEqual([]);
      const theirs = inLrs.find((statement) => statement.id === id);
      expect(theirs).toMatchObject({ ...ours, version: "1.0.0" });
    }
  });

  it("already stored by the LRS (409) is recorded as such and not retried; the rest of its batch is stored", async () => {
    const { body } = await grade("lrs-twice");
    t.app.pokeDeliveries();
    await eventually(deliveries, (items) => items.some((d) => d.statementId === body.id && d.status === "delivered"));
    // The same id with other content, as if a copy had been changed: the LRS refuses it with 409.
    const frozen = await t.prisma.xapiStatement.findUniqueOrThrow({ where: { id: body.id } });
    const changed = { ...(frozen.statement as object), timestamp: "2020-01-01T00:00:00.000Z" };
    await t.prisma.xapiStatement.update({ where: { id: body.id }, data: { statement: changed } });
    await t.prisma.lrsDelivery.create({ data: { id: crypto.randomUUID(), clientId: lms.id, statementId: body.id } });
    const fresh = (await grade("lrs-fresh")).body.id as string;
    const posted = lrs.requests.length;
    t.app.pokeDeliveries();
    const settled = await eventually(deliveries, (items) => items.slice(0, 2).every((d) => d.status !== "pending"));
    expect(settled.slice(0, 2)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ statementId: body.id, status: "already-stored", attempts: 1, lastStatusCode: 409 }),
        expect.objectContaining({ statementId: fresh, status: "delivered", attempts: 1, lastStatusCode: 200 }),
      ]),
    );
    // The batch of two was refused whole, then each was sent alone.
    expect(lrs.requests.slice(posted).map((r) => r.status)).toEqual([409, expect.any(Number), expect.any(Number)]);
    expect((await lrs.stored()).some((statement) => statement.id === fresh)).toBe(true);
  });
});

describe("GET /v1/xapi/statements", () => {
  it("answers an LRS StatementResult, {statements, more}, following more to the end", async () => {
    const seen: string[] = [];
    let next = "/v1/xapi/statements?limit=2";
    while (next) {
      const page = await request(t.app.server).get(next).set("authorization", lms.auth).expect(200);
      expect(page.headers["x-experience-api-version"]).toBe("1.0.3");
      expect(Object.keys(page.body).sort()).toEqual(["more", "statements"]);
      seen.push(...page.body.statements.map((s: { id: string }) => s.id));
      next = page.body.more;
    }
    expect(seen).toHaveLength(await t.prisma.xapiStatement.count({ where: { clientId: lms.id } }));
    expect(new Set(seen).size).toBe(seen.length);
  });
});
