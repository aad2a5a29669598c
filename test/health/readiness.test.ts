import { mkdtemp, rm } from "node:fs/promises";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { connect, createServer as createTcpServer, type Socket, type Server as TcpServer } from "node:net";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { createTestDatabase, type TestDatabase, testConfig } from "../helper.js";

/**
 * /ready is anonymous and was free of any limit, and each call ran a database query and an engine
 * ping: a flood of it slowed everyone's grading. Its check now runs at most once a second (callers
 * in between share it), and each address may ask ten times a second. What reaches the dependencies
 * is counted where they are: the database behind a byte-forwarding proxy that counts the probe's
 * statement, and an engine on a unix socket that counts its pings.
 */
let dir: string;
let database: TestDatabase;
let app: FastifyInstance;
let proxy: TcpServer;
let engine: HttpServer;
const sockets = new Set<Socket>();
const seen = { selectOne: 0, pings: 0 };

/** Forwards every byte to PostgreSQL and counts the readiness probe's statement on its way there. */
async function countingProxy(target: URL): Promise<number> {
  proxy = createTcpServer((client) => {
    const server = connect(Number(target.port), target.hostname);
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    }
    client.on("data", (chunk: Buffer) => {
      seen.selectOne += chunk.toString("latin1").split("SELECT 1").length - 1;
    });
    client.pipe(server).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return (proxy.address() as { port: number }).port;
}

async function countingEngine(): Promise<string> {
  engine = createHttpServer((incoming, response) => {
    if (incoming.url === "/_ping") {
      seen.pings++;
      return response.end("OK");
    }
    response.setHeader("content-type", "application/json");
    if (incoming.url === "/version") return response.end(JSON.stringify({ Version: "26.1.5", ApiVersion: "1.45" }));
    response.statusCode = 404;
    response.end(JSON.stringify({ message: "not here" }));
  });
  const socket = path.join(dir, "docker.sock");
  await new Promise<void>((resolve) => engine.listen(socket, resolve));
  return `unix://${socket}`;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "readiness-"));
  database = await createTestDatabase();
  const port = await countingProxy(new URL(database.url));
  const url = new URL(database.url);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  app = await buildApp(
    testConfig(url.toString(), {
      docker: { host: await countingEngine(), timeoutMs: 1000, concurrency: 4 },
      // Each caller of the first test comes from an address of its own, as many balancers would.
      trustProxy: true,
    }),
  );
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => proxy?.close(resolve));
  await new Promise((resolve) => engine?.close(resolve));
  await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const ready = (from: string) => request(app.server).get("/ready").set("x-forwarded-for", from);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the readiness check", () => {
  it("runs once per second for 50 concurrent callers: one database query, one engine ping", async () => {
    await pause(1100); // past any check made while the app started
    const before = { ...seen };
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => ready(`198.51.100.${i + 1}`)));
    // One check per second of calls: on a busy machine the 50 calls may outlast the answer's second.
    const checks = Math.ceil((performance.now() - started) / 1000);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        status: "ready",
        dependencies: { database: { status: "up" }, docker: { status: "up" } },
      });
      expect(answer.headers["cache-control"]).toBe("no-store");
    }
    expect(seen.selectOne - before.selectOne, "database queries").toBeLessThanOrEqual(checks);
    expect(seen.pings - before.pings, "engine pings").toBeLessThanOrEqual(checks);
  });

  it("is reused for a second, then made again", async () => {
    await pause(1100);
    const before = { ...seen };
    await ready("198.51.100.200").expect(200);
    await ready("198.51.100.201").expect(200);
    expect(seen.selectOne - before.selectOne).toBe(1);
    await pause(1100);
    await ready("198.51.100.202").expect(200);
    expect(seen.selectOne - before.selectOne).toBe(2);
    expect(seen.pings - before.pings).toBe(2);
  });
});

describe("one address", () => {
  it("may ask 10 times a second; then 429 with Retry-After, while other addresses are answered", async () => {
    const statuses: number[] = [];
    let refused: request.Response | undefined;
    for (let i = 0; i < 14; i++) {
      const answer = await ready("203.0.113.9");
      statuses.push(answer.status);
      if (answer.status === 429) refused = answer;
    }
    expect(statuses).toEqual([...Array(10).fill(200), ...Array(4).fill(429)]);
    expect(refused?.headers["retry-after"]).toMatch(/^\d+$/);
    expect(refused?.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(refused?.body.type).toMatch(/\/rate-limited$/);
    expect(refused?.body.detail).toContain("in a second from this address");
    await ready("203.0.113.10").expect(200);
    await pause(1100);
    await ready("203.0.113.9").expect(200);
  });
});
