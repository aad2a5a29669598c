import { readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { buildApp } from "../../src/app.js";
import { buildTestApp, createTestDatabase, type TestApp, testConfig } from "../helper.js";

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("health", () => {
  it("answers liveness with 200", async () => {
    const response = await request(t.app.server).get("/health").expect(200);
    expect(response.body).toEqual({ status: "ok" });
  });

  it("is ready when the database is up, and reports each dependency", async () => {
    const response = await request(t.app.server).get("/ready").expect(200);
    expect(response.body.dependencies.database).toEqual({ status: "up" });
    expect(["up", "down"]).toContain(response.body.dependencies.docker.status);
    expect(response.headers["cache-control"]).toBe("no-store");
  });
});

describe("errors are problem+json", () => {
  it("answers an unknown route with 404", async () => {
    const response = await request(t.app.server).get("/no/such/route").expect(404);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 404, title: "Not Found", type: expect.stringMatching(/^https:/) });
    expect(response.body.detail).toContain("/no/such/route");
  });

  it("answers malformed JSON with 400", async () => {
    const response = await request(t.app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("authorization", t.auth)
      .set("content-type", "application/json")
      .send('{"learnerId": "ana",')
      .expect(400);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 400, type: expect.stringContaining("malformed-json") });
  });

  it("answers an oversized body with 413", async () => {
    const response = await request(t.app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("authorization", t.auth)
      .set("content-type", "application/json")
      .send(JSON.stringify({ learnerId: "x".repeat(200_000) }))
      .expect(413);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.body.status).toBe(413);
  });

  it("names the failing field of an invalid query", async () => {
    const response = await request(t.app.server)
      .get(`/v1/search?q=${"a".repeat(201)}`)
      .expect(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ path: "querystring.q" })]);
  });

  it("never shows a stack trace or a file path", async () => {
    const response = await request(t.app.server)
      .get("/v1/lessons/%E0%A4%A")
      .expect((r) => r.status < 500);
    expect(JSON.stringify(response.body)).not.toMatch(/at .+\.(ts|js):\d+|\/work\/|node_modules/);
  });
});

describe("the OpenAPI contract", () => {
  it("is served at /openapi.json and equals the published openapi.yaml", async () => {
    const response = await request(t.app.server).get("/openapi.json").expect(200);
    const published = YAML.parse(await readFile("openapi.yaml", "utf8"));
    expect(response.body.openapi).toMatch(/^3\./);
    expect(response.body, "openapi.yaml is stale: run `npm run openapi`").toEqual(published);
  });

  it("serves interactive docs at /docs", async () => {
    const response = await request(t.app.server).get("/docs/").redirects(1);
    expect(response.status).toBe(200);
    expect(response.text).toContain("swagger");
  });
});

describe("shutting down", () => {
  it("answers a request that arrives on a kept-alive connection while the app closes with 503 problem+json", async () => {
    const database = await createTestDatabase();
    const closing = await buildApp(testConfig(database.url), { logger: false });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (port: number, path: string) =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
        http
          .get({ host: "127.0.0.1", port, path, agent }, (response) => {
            let body = "";
            response.on("data", (chunk) => {
              body += chunk;
            });
            response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
          })
          .on("error", reject);
      });
    let late: Awaited<ReturnType<typeof get>> | undefined;
    let port = 0;
    // Runs after the app's own preClose hooks, before the server stops reading the open connection.
    closing.addHook("preClose", async () => {
      late = await get(port, "/v1/lessons");
    });
    await closing.listen({ port: 0, host: "127.0.0.1" });
    port = (closing.server.address() as AddressInfo).port;
    expect((await get(port, "/health")).status).toBe(200);
    await closing.close();
    agent.destroy();
    await database.drop();

    expect(late?.status).toBe(503);
    expect(late?.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(late?.headers["retry-after"]).toBe("1");
    expect(late?.headers.connection).toBe("close");
    expect(JSON.parse(late?.body ?? "{}")).toMatchObject({ status: 503, title: "Service Unavailable" });
  });
});
