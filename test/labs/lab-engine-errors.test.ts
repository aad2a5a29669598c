import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../../src/runtime/find-free-port.js";
import { buildTestApp, type TestApp } from "../helper.js";
import { registerLabEngine } from "../support/lab-engines.js";

/**
 * A lab's engine is an address an admin registered to a client (within LAB_ENGINE_ALLOWLIST), so what the
 * service says about it must not turn the service into a probe of that address, nor pass the
 * engine's own statuses off as this API's. Fake engines on unix sockets answer each status a
 * real one (or anything else listening there) can send; tcp ports on loopback are closed, or
 * accept and reset.
 */
let dir: string;
let t: TestApp;
const servers: (HttpServer | TcpServer)[] = [];
const ENGINE_STATUSES = [401, 403, 404, 409, 429] as const;

/** Answers every request, /version and /_ping included, with this status, as a gatekeeping proxy would. */
async function engineAnswering(status: number): Promise<string> {
  const server = createHttpServer((_request, response) => {
    response.statusCode = status;
    response.setHeader("content-type", "application/json");
    if (status === 401) response.setHeader("www-authenticate", 'Basic realm="lab"');
    response.end(JSON.stringify({ message: `lab engine says ${status}: /run/secret/path` }));
  });
  servers.push(server);
  const socket = path.join(dir, `answers-${status}.sock`);
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return `unix://${socket}`;
}

/** A tcp port on loopback that accepts each connection and resets it at once. */
async function portThatResets(): Promise<number> {
  const server = createTcpServer((socket) => socket.resetAndDestroy());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "lab-engine-errors-"));
  t = await buildTestApp({
    labEngineAllowlist: [`unix://${dir}/*`, "tcp://127.0.0.1:*"],
    docker: { host: `unix://${dir}/no-shared-engine.sock`, timeoutMs: 1000, concurrency: 4 },
  });
});
afterAll(async () => {
  await t?.close();
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Registers the engine to the app's client, binds the learner to it, then grades one submission there. */
async function gradeOn(learnerId: string, engineUrl: string) {
  await registerLabEngine(t, t.clientId, engineUrl, 201);
  await request(t.app.server)
    .put(`/v1/learners/${learnerId}/lab`)
    .set("authorization", t.auth)
    .send({ engineUrl })
    .expect(200);
  return request(t.app.server)
    .post("/v1/exercises/alpine-una-vez/submissions")
    .set("authorization", t.auth)
    .send({ learnerId, containerName: "alpine-una-vez" });
}

describe("a lab engine that answers with an HTTP error", () => {
  it.each(ENGINE_STATUSES)(
    "%i becomes this API's own 502 engine-refused, never the engine's status",
    async (status) => {
      const engineUrl = await engineAnswering(status);
      const response = await gradeOn(`answers-${status}`, engineUrl);
      expect(response.status).toBe(502);
      expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
      expect(response.body).toMatchObject({
        status: 502,
        type: expect.stringMatching(/\/engine-refused$/),
        dependency: "docker",
        engine: engineUrl,
      });
      // A 401 without WWW-Authenticate would read as "your API key is wrong".
      expect(response.headers["www-authenticate"]).toBeUndefined();
      expect(response.text).not.toContain("lab engine says");
      expect(response.text).not.toContain("/run/secret/path");
      expect(await t.prisma.submission.count({ where: { learnerId: `answers-${status}` } })).toBe(0);
    },
  );

  it("says the same words whatever the engine's status was", async () => {
    const details = new Set<string>();
    for (const status of ENGINE_STATUSES) {
      const response = await gradeOn(`same-words-${status}`, `unix://${dir}/answers-${status}.sock`);
      details.add(String(response.body.detail).replace(`unix://${dir}/answers-${status}.sock`, "ENGINE"));
    }
    expect([...details]).toHaveLength(1);
  });
});

describe("a lab engine that cannot be reached", () => {
  it("answers 503 engine-unavailable in one fixed text, whether the port is closed, resets, or there is no socket", async () => {
    const closed = await findFreePort();
    const resets = await portThatResets();
    const notASocket = path.join(dir, "not-a-socket.sock");
    await writeFile(notASocket, "");
    const engines = [
      `tcp://127.0.0.1:${closed}`, // ECONNREFUSED
      `tcp://127.0.0.1:${resets}`, // ECONNRESET
      `unix://${dir}/nobody-here.sock`, // ENOENT
      `unix://${notASocket}`, // ECONNREFUSED on a file that is no socket
    ];
    const details = new Set<string>();
    for (const [i, engineUrl] of engines.entries()) {
      const response = await gradeOn(`unreachable-${i}`, engineUrl);
      expect(response.status, engineUrl).toBe(503);
      expect(response.body).toMatchObject({
        type: expect.stringMatching(/\/engine-unavailable$/),
        dependency: "docker",
        engine: engineUrl,
      });
      expect(response.headers["retry-after"]).toMatch(/^\d+$/);
      expect(response.text).not.toMatch(/ECONN|ENOENT|EPIPE|socket hang up|connect /);
      details.add(String(response.body.detail).replace(engineUrl, "ENGINE"));
    }
    expect([...details]).toEqual([expect.stringContaining("could not connect")]);
    expect(await t.prisma.submission.count()).toBe(0);
  });
});
