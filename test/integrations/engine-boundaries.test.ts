import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import { type ObservedEngine, observeEngine } from "../reliability/support/observed-engine.js";

/**
 * The service's own engine serves every client, so grading on it is a grant (engine:shared), and
 * a name the engine resolved to something other than itself (an id, an id prefix) reveals nothing.
 * The engine is the real one; every call the app makes to it is recorded.
 */
let t: TestApp;
let observed: ObservedEngine;
const someoneElses = `boundaries-victim-${uniqueSuffix()}`;

beforeAll(async () => {
  observed = observeEngine({ host: process.env.DOCKER_HOST, timeoutMs: 5000, concurrency: 4 });
  t = await buildTestApp({}, { dockerEngine: observed.engine });
  // Another tenant's container, with a secret in its command line.
  await docker(["run", "-d", "--name", someoneElses, "alpine", "sh", "-c", "echo TOKEN=s3cr3t; sleep 600"]);
}, 60_000);
afterAll(async () => {
  await docker(["rm", "-f", someoneElses]).catch(() => {});
  await t?.close();
});

const grade = (auth: string, exerciseId: string, containerName: string, learnerId = "mallory") =>
  request(t.app.server)
    .post(`/v1/exercises/${exerciseId}/submissions`)
    .set("authorization", auth)
    .send({ learnerId, containerName });

describe("a client without the engine:shared grant", () => {
  it("is refused with 403 before anything reaches the engine, and nothing is stored", async () => {
    const tenantB = await createTestClient(t.prisma, ["submissions:write", "progress:read"], "tenant B");
    const callsBefore = observed.names.length;

    const response = await grade(tenantB.auth, "volumen-de-datos", someoneElses);

    expect(response.status).toBe(403);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.body.type).toMatch(/engine-not-granted$/);
    expect(response.body.detail).toContain("engine:shared");
    expect(response.text).not.toContain("s3cr3t");
    expect(observed.names.length).toBe(callsBefore);
    expect(await t.prisma.submission.count({ where: { clientId: tenantB.id } })).toBe(0);
    expect(await t.prisma.learner.count({ where: { clientId: tenantB.id } })).toBe(0);
  });

  it("keeps the same refusal for a retried Idempotency-Key, which stays free", async () => {
    const tenantB = await createTestClient(t.prisma, ["submissions:write"], "tenant B again");
    const first = await grade(tenantB.auth, "alpine-una-vez", someoneElses).set("idempotency-key", "k1");
    expect(first.status).toBe(403);
    expect(await t.prisma.idempotencyKey.count({ where: { clientId: tenantB.id } })).toBe(0);
  });
});

describe("a name the engine resolves to another container", () => {
  it("is graded as no such container: an id prefix reads nothing more and stores no evidence", async () => {
    const id = await docker(["inspect", "--format", "{{.Id}}", someoneElses]);
    const before = observed.names.length;

    const response = await grade(t.auth, "imagen-desde-dockerfile", id.slice(0, 12));

    expect(response.status).toBe(201);
    expect(response.body.status).toBe("failed");
    expect(response.body.score).toBe(0);
    for (const check of response.body.checks) expect(check.actual).toBeNull();
    expect(response.text).not.toContain("s3cr3t");
    expect(response.text).not.toContain(someoneElses);
    // One inspect, then nothing: no top, logs or exec on a container that is not the one asked for.
    expect(observed.names.slice(before)).toEqual([id.slice(0, 12)]);
    const stored = await t.prisma.submission.findUniqueOrThrow({ where: { id: response.body.id } });
    expect(stored.evidence).toEqual({ containerName: id.slice(0, 12), found: false, container: null, checks: {} });
  });

  it("never runs an exercise's exec inside a container named by its full id", async () => {
    const id = await docker(["inspect", "--format", "{{.Id}}", someoneElses]);
    const before = observed.names.length;
    const response = await grade(t.auth, "volumen-de-datos", id.slice(0, 64));
    expect(response.status).toBe(201);
    expect(response.body.checks.every((check: { actual: unknown }) => check.actual === null)).toBe(true);
    expect(observed.names.slice(before)).toHaveLength(1);
  });
});
