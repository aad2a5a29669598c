import http from "node:http";
import { connect, type Socket } from "node:net";
import pg from "pg";
import request from "supertest";
import { afterAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helper.js";

/**
 * Clients that hold what they can: sockets that trickle their headers (slowloris), more sockets
 * than the cap, and more requests than pooled database connections. Each is bounded, and the
 * others keep being served. Time bounds here are the behaviour under test, and generous.
 */
const apps: TestApp[] = [];
const sockets: Socket[] = [];
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  for (const t of apps) await t.close();
});

async function listeningApp(
  limits: Partial<TestApp["app"]["config"]["http"]>,
  overrides: Partial<TestApp["app"]["config"]> = {},
): Promise<{ t: TestApp; port: number }> {
  const defaults = {
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    maxConnections: 1024,
    maxConnectionsPerAddress: 64,
  };
  const t = await buildTestApp({ ...overrides, http: { ...defaults, ...limits } });
  apps.push(t);
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  return { t, port: (t.app.server.address() as { port: number }).port };
}

/** A client that sends a request line, then one header byte every 200 ms, and never finishes. */
function trickler(port: number, from = "127.0.0.1"): { closed: Promise<string> } {
  const socket = connect({ port, host: "127.0.0.1", localAddress: from });
  sockets.push(socket);
  const received: Buffer[] = [];
  socket.on("data", (chunk) => received.push(chunk));
  socket.on("error", () => {});
  socket.write("GET /v1/lessons HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
  const drip = setInterval(() => socket.writable && socket.write("a"), 200);
  return {
    closed: new Promise((resolve) =>
      socket.on("close", () => {
        clearInterval(drip);
        resolve(Buffer.concat(received).toString("latin1"));
      }),
    ),
  };
}

/** Time for the server to accept the sockets just opened. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

describe("200 slow clients that trickle their headers", () => {
  it("do not stop others from being served, and are cut off by the headers timeout with 408", {
    timeout: 60_000,
  }, async () => {
    const { port } = await listeningApp({ headersTimeoutMs: 3000 });
    // Two hundred clients, fifty per address: under MAX_CONNECTIONS_PER_ADDRESS (64), as many people behind few NATs.
    const slow = Array.from({ length: 200 }, (_, i) => trickler(port, `127.0.0.${10 + (i % 4)}`));
    await settle();

    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      await request(`http://127.0.0.1:${port}`).get("/v1/lessons/que-es-docker").expect(200);
      expect(Date.now() - started, "a normal request is answered within 5 s").toBeLessThan(5000);
    }

    // Each kept sending, so no idle timer fired: only the headers timeout (3 s, swept every 1 s) ends them.
    const answers = await Promise.all(slow.map((client) => client.closed));
    for (const answer of answers) expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});

describe("a connection cap", () => {
  it("closes sockets above it at once, and serves again once the slow ones are cut off", {
    timeout: 60_000,
  }, async () => {
    const { port } = await listeningApp({ maxConnections: 20, headersTimeoutMs: 3000 });
    const slow = Array.from({ length: 20 }, () => trickler(port));
    await settle();

    const over = await request(`http://127.0.0.1:${port}`)
      .get("/health")
      .then(
        (response) => `answered ${response.status}`,
        (error: NodeJS.ErrnoException) => error.code ?? error.message,
      );
    expect(over, "the 21st socket is closed without an answer").toMatch(/ECONNRESET|socket hang up|EPIPE/);

    await Promise.all(slow.map((client) => client.closed));
    await request(`http://127.0.0.1:${port}`).get("/health").expect(200);
  });
});

/** A socket from this loopback address that connects and sends nothing (half-open, as a flood leaves it). */
function silentSocket(port: number, from: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1", localAddress: from }, () => resolve(socket));
    sockets.push(socket);
    socket.on("error", reject);
  });
}

/** GET /health from this loopback address on a socket of its own: its status, or how the socket ended. */
function healthFrom(port: number, from: string): Promise<string> {
  return new Promise((resolve) => {
    const call = http.get(
      { host: "127.0.0.1", port, path: "/health", localAddress: from, agent: false },
      (response) => {
        response.resume();
        resolve(`answered ${response.statusCode}`);
      },
    );
    call.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Resolves once the server has closed the socket (or after `ms`, with false). */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe("one address that opens sockets and sends nothing", () => {
  it("holds at most MAX_CONNECTIONS_PER_ADDRESS of them; the next is closed at once, other addresses are served", async () => {
    const { port } = await listeningApp({ maxConnectionsPerAddress: 5 });
    const held = await Promise.all(Array.from({ length: 5 }, () => silentSocket(port, "127.0.0.1")));
    await settle();
    for (const socket of held) expect(socket.destroyed, "the first five stay open").toBe(false);

    const sixth = await silentSocket(port, "127.0.0.1");
    expect(await closedWithin(sixth, 2000), "the sixth socket is closed by the server").toBe(true);
    expect(await healthFrom(port, "127.0.0.1")).toMatch(/ECONNRESET|socket hang up|EPIPE/);
    expect(await healthFrom(port, "127.0.0.2"), "another address is served").toBe("answered 200");

    held[0]?.destroy();
    await settle();
    expect(await healthFrom(port, "127.0.0.1"), "a freed place is taken again").toBe("answered 200");
  });

  it("does not cap a trusted proxy, whose sockets are many clients'", async () => {
    const { port } = await listeningApp({ maxConnectionsPerAddress: 5 }, { trustProxy: ["127.0.0.1"] });
    const held = await Promise.all(Array.from({ length: 8 }, () => silentSocket(port, "127.0.0.1")));
    await settle();
    for (const socket of held) expect(socket.destroyed).toBe(false);
    expect(await healthFrom(port, "127.0.0.1")).toBe("answered 200");
    // Anyone else is still capped.
    await Promise.all(Array.from({ length: 5 }, () => silentSocket(port, "127.0.0.3")));
    expect(await closedWithin(await silentSocket(port, "127.0.0.3"), 2000)).toBe(true);
  });
});

describe("every pooled database connection busy", () => {
  it("answers 503 with Retry-After within the 10 s pool wait, never a hang", { timeout: 60_000 }, async () => {
    const { t, port } = await listeningApp({});
    // Every authenticated request reads api_clients first: locked, each one holds its pooled
    // connection (10) while it waits, and the requests after those find none free.
    const locker = new pg.Client({ connectionString: t.databaseUrl });
    await locker.connect();
    await locker.query("BEGIN");
    await locker.query("LOCK TABLE api_clients IN ACCESS EXCLUSIVE MODE");
    try {
      const started = Date.now();
      const answers = Array.from({ length: 16 }, () =>
        request(`http://127.0.0.1:${port}`)
          .get("/v1/learners/nadie/progress")
          .set("authorization", t.auth)
          .then((response) => ({ response, ms: Date.now() - started })),
      );
      const refused = await Promise.race([
        Promise.any(answers.map((answer) => answer.then((a) => (a.response.status === 503 ? a : Promise.reject())))),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no 503 within 20 s")), 20_000)),
      ]);
      expect(refused.response.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(refused.response.headers["retry-after"]).toMatch(/^\d+$/);
      expect(refused.response.body).toMatchObject({ status: 503, dependency: "database" });
      expect(refused.ms, "within the pool wait and a margin").toBeLessThan(20_000);
      await locker.query("ROLLBACK");
      // The ones that held a connection finish once the lock goes: nothing was left hanging.
      const all = await Promise.all(answers);
      for (const { response } of all) expect([200, 404, 503]).toContain(response.status);
      console.log(
        `pool exhausted: ${all.filter((a) => a.response.status === 503).length} of ${all.length} answered 503 ` +
          `after ${refused.ms} ms (pool wait 10 s)`,
      );
    } finally {
      await locker.end();
    }
  });
});
