import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { createDatabaseClient, type Database } from "../../src/db/prisma.js";
import { createDockerEngine, type DockerEngine } from "../../src/docker/engine.js";
import { createTestClient, createTestDatabase, type TestDatabase, testConfig } from "../helper.js";

/**
 * Container names that Docker would reject, or that would reach other engine endpoints through
 * dockerode's unencoded paths, are refused with 400 before the engine is asked anything. The
 * app runs on the real engine wrapped in a counter, so a call that slipped through would show.
 */

const calls: string[] = [];
let app: Awaited<ReturnType<typeof buildApp>>;
let db: Database;
let database: TestDatabase;
let auth: string;

function counting(engine: DockerEngine): DockerEngine {
  return new Proxy(engine, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || property === "close") return value;
      return (...args: unknown[]) => {
        calls.push(`${String(property)}(${args.map((a) => JSON.stringify(a)).join(", ")})`);
        return value.apply(target, args);
      };
    },
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  const config = testConfig(database.url);
  app = await buildApp(config, { dockerEngine: counting(createDockerEngine(config.docker)) });
  await app.ready();
  db = createDatabaseClient(database.url);
  auth = (await createTestClient(db, ["submissions:write", "engine:shared"])).auth;
});
afterAll(async () => {
  await app?.close();
  await db?.$disconnect();
  await database?.drop();
});

describe("container names", () => {
  it.each([
    ["a path that climbs to another endpoint", "../images"],
    ["a slash", "a/b"],
    ["a query string", "x?y"],
    ["unicode", "contenedor-ñandú"],
    ["an empty name", ""],
    ["129 characters", `a${"b".repeat(128)}`],
    ["a leading dot", ".oculto"],
    ["a single character", "a"],
    ["an encoded slash", "..%2Fimages"],
  ])("rejects %s with 400 and no engine call", async (_label, containerName) => {
    calls.length = 0;
    const response = await request(app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("authorization", auth)
      .send({ learnerId: "ana", containerName });
    expect(response.status).toBe(400);
    expect(response.headers["content-type"]).toContain("application/problem+json");
    expect(response.body.errors[0].path).toBe("body.containerName");
    expect(calls).toEqual([]);
  });

  it("stores nothing for a rejected name", async () => {
    expect(await db.submission.count()).toBe(0);
    expect(await db.learner.count()).toBe(0);
  });

  it("asks the engine about a valid name, 128 characters long, exactly once", async () => {
    calls.length = 0;
    const containerName = `a${"b".repeat(127)}`;
    const response = await request(app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("authorization", auth)
      .send({ learnerId: "ana", containerName });
    expect(response.status).toBe(201);
    expect(calls).toEqual([`inspectContainer(${JSON.stringify(containerName)})`]);
  });
});

describe("the engine module itself", () => {
  it("refuses an invalid name even when called directly, before any request", async () => {
    const engine = createDockerEngine({ host: "unix:///nonexistent/docker.sock", timeoutMs: 500, concurrency: 1 });
    await expect(engine.inspectContainer("../images")).rejects.toThrow(/invalid container name/);
    await expect(engine.inspectContainer("a/b")).rejects.toThrow(/invalid container name/);
  });
});
