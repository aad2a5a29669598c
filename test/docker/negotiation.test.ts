import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { compareApiVersions, createDockerEngine, parseDockerHost } from "../../src/docker/engine.js";
import { UnreadableEngineAnswerError } from "../../src/docker/errors.js";

/**
 * Version negotiation against engines we cannot run here (newer ones): a real HTTP server on a
 * unix socket answers /version as such an engine would, and records the paths dockerode asks for.
 */

let server: Server | undefined;
let dir: string | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

/** `answers`: what the engine answers at other paths (without the query), as JSON. */
async function fakeEngine(
  version: { ApiVersion: unknown; MinAPIVersion?: string },
  answers: Record<string, unknown> = {},
): Promise<{ host: string; paths: string[] }> {
  dir = await mkdtemp(path.join(os.tmpdir(), "fake-engine-"));
  const paths: string[] = [];
  server = createServer((request, response) => {
    paths.push(request.url ?? "");
    response.setHeader("content-type", "application/json");
    if (request.url === "/version") return response.end(JSON.stringify({ Version: "99.0.0", ...version }));
    const answer = answers[request.url?.split("?")[0] ?? ""];
    if (answer !== undefined) return response.end(JSON.stringify(answer));
    response.statusCode = 404;
    response.end(JSON.stringify({ message: "No such container" }));
  });
  const socket = path.join(dir, "docker.sock");
  await new Promise<void>((resolve) => server?.listen(socket, resolve));
  return { host: `unix://${socket}`, paths };
}

describe("API version negotiation", () => {
  it("stays on the newest version we test when the engine is newer, and prefixes every path with it", async () => {
    const { host, paths } = await fakeEngine({ ApiVersion: "1.47", MinAPIVersion: "1.24" });
    const engine = createDockerEngine({ host, timeoutMs: 1000, concurrency: 1 });
    expect(await engine.negotiate()).toEqual({
      apiVersion: "1.45",
      engineApiVersion: "1.47",
      engineVersion: "99.0.0",
      tested: true,
    });
    expect(await engine.inspectContainer("example2")).toBeUndefined();
    expect(paths).toEqual(["/version", "/v1.45/containers/example2/json"]);
  });

  it("follows an engine that no longer serves any version we tested, and says so", async () => {
    const { host } = await fakeEngine({ ApiVersion: "1.52", MinAPIVersion: "1.46" });
    const engine = createDockerEngine({ host, timeoutMs: 1000, concurrency: 1 });
    expect(await engine.negotiate()).toMatchObject({ apiVersion: "1.46", tested: false });
  });

  it("uses an older engine's own version", async () => {
    const { host } = await fakeEngine({ ApiVersion: "1.40", MinAPIVersion: "1.12" });
    const engine = createDockerEngine({ host, timeoutMs: 1000, concurrency: 1 });
    expect(await engine.negotiate()).toMatchObject({ apiVersion: "1.40", tested: true });
  });

  it("takes an engine that does not name its oldest version to serve from 1.12 on", async () => {
    const { host } = await fakeEngine({ ApiVersion: "1.24" });
    const engine = createDockerEngine({ host, timeoutMs: 1000, concurrency: 1 });
    expect(await engine.negotiate()).toMatchObject({ apiVersion: "1.24", tested: true });
  });

  it("compares versions as numbers, not strings", () => {
    expect(compareApiVersions("1.9", "1.41")).toBeLessThan(0);
    expect(compareApiVersions("1.41", "1.41")).toBe(0);
    expect(compareApiVersions("2.0", "1.99")).toBeGreaterThan(0);
  });
});

describe("an answer in a shape the Engine API does not have", () => {
  it("is unreadable, with the field that is off, and no engine that is down", async () => {
    const { host } = await fakeEngine({ ApiVersion: 1.45 });
    const engine = createDockerEngine({ host, timeoutMs: 1000, concurrency: 1 });
    const failure = engine.negotiate();
    await expect(failure).rejects.toBeInstanceOf(UnreadableEngineAnswerError);
    await expect(failure).rejects.toThrow(/answer to version .*ApiVersion/s);
  });

  it("is unreadable in the middle of a call too, rather than an engine that could not be reached", async () => {
    const { host } = await fakeEngine(
      { ApiVersion: "1.45" },
      { "/v1.45/containers/example2/top": { Titles: "PID", Processes: [] } },
    );
    const engine = createDockerEngine({ host, timeoutMs: 1000, concurrency: 1 });
    const failure = engine.top("example2");
    await expect(failure).rejects.toBeInstanceOf(UnreadableEngineAnswerError);
    await expect(failure).rejects.toThrow(/answer to top example2 .*Titles/s);
  });
});

describe("DOCKER_HOST", () => {
  it("reads unix sockets and tcp addresses, and defaults to the standard socket", () => {
    expect(parseDockerHost(undefined)).toEqual({
      endpoint: "unix:///var/run/docker.sock",
      modemOptions: { socketPath: "/var/run/docker.sock" },
    });
    expect(parseDockerHost("unix:///tmp/x/docker.sock").modemOptions).toEqual({ socketPath: "/tmp/x/docker.sock" });
    expect(parseDockerHost("tcp://127.0.0.1:2375").modemOptions).toEqual({
      host: "127.0.0.1",
      port: 2375,
      protocol: "http",
    });
    expect(() => parseDockerHost("ssh://lab")).toThrow(/unsupported DOCKER_HOST/);
  });
});
