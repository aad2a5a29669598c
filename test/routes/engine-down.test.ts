import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { type SecondEngine, startSecondEngine } from "../docker/second-engine.js";
import { buildTestApp, type TestApp } from "../helper.js";

/**
 * The engine goes away while the service runs: submissions answer 503 with Retry-After, name
 * the engine, and store nothing, so the learner loses no attempt. Uses an engine this test
 * starts on its own socket, never the shared one.
 */
describe("when the learner's engine stops mid-test", () => {
  let engine: SecondEngine;
  let t: TestApp;
  const name = `alpine-una-vez-${uniqueSuffix()}`;

  beforeAll(async () => {
    engine = await startSecondEngine({ images: ["alpine"] });
    t = await buildTestApp({ docker: { host: engine.host, timeoutMs: 2000, concurrency: 4 } });
  }, 90_000);
  afterAll(async () => {
    await t?.close();
    await engine?.dispose();
  });

  const submit = () =>
    request(t.app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("authorization", t.auth)
      .send({ learnerId: "ana", containerName: name });

  it("grades on that engine while it runs", async () => {
    await docker(["run", "--name", name, "alpine"], { host: engine.host });
    await expect(docker(["inspect", name])).rejects.toThrow(/No such (object|container)/);
    const response = await submit();
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ status: "passed", score: 6, maxScore: 6 });
  });

  it("answers 503 with Retry-After once it is stopped, and stores nothing", async () => {
    await docker(["run", "--name", `${name}-antes`, "alpine"], { host: engine.host });
    await request(t.app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("authorization", t.auth)
      .send({ learnerId: "eva", containerName: `${name}-antes` })
      .expect(201);
    const storedBefore = await t.prisma.submission.count();
    await engine.stop();
    const response = await request(t.app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("authorization", t.auth)
      .send({ learnerId: "eva", containerName: name });
    expect(response.status).toBe(503);
    expect(response.headers["content-type"]).toContain("application/problem+json");
    expect(Number(response.headers["retry-after"])).toBeGreaterThan(0);
    expect(response.body).toMatchObject({ status: 503, dependency: "docker", engine: engine.host });
    expect(response.body.detail).toContain(engine.host);

    expect(await t.prisma.submission.count()).toBe(storedBefore);
    const progress = await t.prisma.exerciseProgress.findUniqueOrThrow({
      where: {
        clientId_learnerId_exerciseId: { clientId: t.clientId, learnerId: "eva", exerciseId: "alpine-una-vez" },
      },
    });
    expect(progress).toMatchObject({ attempts: 1, bestScore: 6, passed: true });
  });

  it("still serves content without an engine", async () => {
    const response = await request(t.app.server).get("/v1/exercises/alpine-una-vez");
    expect(response.status).toBe(200);
  });
});

describe("when no engine is there at start-up", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ docker: { host: "unix:///nonexistent/docker.sock", timeoutMs: 1000, concurrency: 4 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it("starts, serves exercises, and answers submissions with 503", async () => {
    expect((await request(t.app.server).get("/v1/exercises")).status).toBe(200);
    const response = await request(t.app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("authorization", t.auth)
      .send({ learnerId: "ana" });
    expect(response.status).toBe(503);
    expect(response.body.detail).toContain("unix:///nonexistent/docker.sock");
    expect(await t.prisma.submission.count()).toBe(0);
  });
});

describe("when the engine accepts connections but never answers", () => {
  let dir: string;
  let silent: Server;
  const sockets = new Set<Socket>();
  let t: TestApp;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "silent-engine-"));
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    const socketPath = path.join(dir, "docker.sock");
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
    t = await buildTestApp({ docker: { host: `unix://${socketPath}`, timeoutMs: 500, concurrency: 4 } });
  });
  afterAll(async () => {
    await t?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("gives up at the configured timeout with 503 and stores nothing", async () => {
    const started = performance.now();
    const response = await request(t.app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("authorization", t.auth)
      .send({ learnerId: "ana" });
    const elapsed = performance.now() - started;
    expect(response.status).toBe(503);
    expect(response.body.detail).toMatch(/no answer within 500 ms/);
    expect(elapsed).toBeLessThan(3000);
    expect(await t.prisma.submission.count()).toBe(0);
    expect(await t.prisma.learner.count()).toBe(0);
  });
});
