import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDockerEngine } from "../../src/docker/engine.js";
import { ContainerStateError } from "../../src/docker/errors.js";
import { EngineUnavailable } from "../../src/errors/domain-errors.js";
import { docker, uniqueSuffix } from "./learner-shell.js";

/** The engine module against the real shared engine (scripts/docker-lab.sh up). */

const host = process.env.DOCKER_HOST;
const engine = createDockerEngine({ host, timeoutMs: 5000, concurrency: 4 });
const chatty = `engine-test-logs-${uniqueSuffix()}`;
const sleeper = `engine-test-exec-${uniqueSuffix()}`;

beforeAll(async () => {
  await docker(["run", "--name", chatty, "alpine", "sh", "-c", "for i in $(seq 1 3000); do echo linea-$i; done"]);
  await docker(["run", "-d", "--name", sleeper, "alpine", "tail", "-f", "/dev/null"]);
});
afterAll(async () => {
  await docker(["rm", "-f", chatty, sleeper]).catch(() => {});
  engine.close();
});

describe("negotiation", () => {
  it("uses the lower of the engine's API version and the newest we test", async () => {
    const version = await engine.negotiate();
    expect(version).toMatchObject({ apiVersion: "1.45", tested: true });
  });

  it("asks for an older version when our ceiling is lower, and the engine serves it", async () => {
    const older = createDockerEngine({ host, timeoutMs: 5000, concurrency: 1, apiVersionCeiling: "1.40" });
    expect((await older.negotiate()).apiVersion).toBe("1.40");
    expect(await older.inspectContainer(sleeper)).toMatchObject({ name: sleeper });
  });
});

describe("read-only calls", () => {
  it("inspects by exact name and answers undefined for a name that does not exist", async () => {
    expect(await engine.inspectContainer(sleeper)).toMatchObject({ name: sleeper });
    expect(await engine.inspectContainer(`nadie-${uniqueSuffix()}`)).toBeUndefined();
  });

  it("tails the logs, newest lines only, within the byte cap", async () => {
    const tail = await engine.logsTail(chatty, { lines: 5, maxBytes: 4096 });
    expect(tail).toEqual({ text: "linea-2996\nlinea-2997\nlinea-2998\nlinea-2999\nlinea-3000\n", truncated: false });
    const capped = await engine.logsTail(chatty, { lines: 3000, maxBytes: 64 });
    expect(capped.truncated).toBe(true);
    expect(Buffer.byteLength(capped.text)).toBeLessThanOrEqual(64);
    expect(capped.text.endsWith("linea-3000\n")).toBe(true);
  });

  it("lists processes with top, and says a stopped container cannot", async () => {
    const top = await engine.top(sleeper);
    expect(top.processes.map((row) => row.at(-1))).toContain("tail -f /dev/null");
    await expect(engine.top(chatty)).rejects.toBeInstanceOf(ContainerStateError);
  });

  it("runs a fixed command with its exit code, stdout and stderr", async () => {
    const result = await engine.execFixed(sleeper, ["sh", "-c", "echo fuera; echo error >&2; exit 3"], {
      timeoutMs: 3000,
      maxBytes: 1024,
    });
    // stdout and stderr are separate pipes: their relative order is not guaranteed.
    expect(result).toMatchObject({ truncated: false, exitCode: 3, timedOut: false });
    expect(result.text.split("\n").sort()).toEqual(["", "error", "fuera"]);
  });

  it("caps exec output and gives up on a command past its timeout", async () => {
    const big = await engine.execFixed(sleeper, ["sh", "-c", "yes | head -c 200000; exit 4"], {
      timeoutMs: 3000,
      maxBytes: 1000,
    });
    expect(big).toMatchObject({ truncated: true, exitCode: 4, timedOut: false });
    expect(big.text).toBe("y\n".repeat(500));

    const started = performance.now();
    const slow = await engine.execFixed(sleeper, ["sleep", "10"], { timeoutMs: 300, maxBytes: 100 });
    expect(slow).toMatchObject({ exitCode: null, timedOut: true });
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe("a path's stat", () => {
  it("finds a file, misses an absent one, in a running container and a stopped one alike", async () => {
    const stopped = `engine-test-stat-${uniqueSuffix()}`;
    try {
      await docker(["run", "--name", stopped, "alpine", "sh", "-c", "echo dentro > /dentro.txt"]);
      for (const name of [sleeper, stopped]) {
        expect(await engine.statPath(name, "/etc/alpine-release")).toMatchObject({ size: expect.any(Number) });
        expect(await engine.statPath(name, "/no/such/file")).toBeNull();
      }
      expect(await engine.statPath(stopped, "/dentro.txt")).toMatchObject({ size: 7 });
    } finally {
      await docker(["rm", "-f", stopped]).catch(() => {});
    }
  });

  it("tells a container that is gone from a path that is missing", async () => {
    const error = await engine.statPath(`engine-test-never-${uniqueSuffix()}`, "/etc").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContainerStateError);
    expect(error).toMatchObject({ statusCode: 404 });
  });
});

describe("the event log of container events", () => {
  it("logs docker cp into a container as extract-to-dir, and a prune after the removals it made", async () => {
    const copied = `engine-test-cp-${uniqueSuffix()}`;
    const pruned = `engine-test-prune-${uniqueSuffix()}`;
    const label = `engine-test=${uniqueSuffix()}`;
    try {
      await docker(["run", "-d", "--name", copied, "alpine", "tail", "-f", "/dev/null"]);
      const facts = await engine.inspectContainer(copied);
      if (!facts) throw new Error(`${copied} is gone`);
      await docker(["cp", "/etc/hostname", `${copied}:/tmp/hostname`]);
      await docker(["exec", copied, "touch", "/tmp/by-exec"]);
      await docker(["run", "--name", pruned, "--label", label, "alpine", "true"]);
      await docker(["container", "prune", "-f", "--filter", `label=${label}`]);

      const events = await engine.containerEvents(facts.created, await engine.systemTime());
      const actions = events.map((event) => `${event.action}:${event.name}`);
      // Other test files' containers share this engine and its log: only this container's copies count.
      const ownCopies = actions.filter((action) => action.startsWith("extract-to-dir:") && action.endsWith(copied));
      expect(ownCopies).toEqual([`extract-to-dir:${copied}`]);
      const destroyed = actions.indexOf(`destroy:${pruned}`);
      expect(destroyed).toBeGreaterThan(-1);
      expect(actions.indexOf("prune:", destroyed)).toBeGreaterThan(destroyed);
    } finally {
      await docker(["rm", "-f", copied, pruned]).catch(() => {});
    }
  });
});

describe("an image's history", () => {
  it("lists the steps oldest first, a base image's before the build's own, and nothing for an image that is gone", async () => {
    const tag = `engine-test-history:${uniqueSuffix()}`;
    const dir = await mkdtemp(path.join(os.tmpdir(), "history-"));
    try {
      await writeFile(path.join(dir, "Dockerfile"), "FROM alpine\nRUN touch /hecho\nLABEL hecho=si\n");
      await docker(["build", "-q", "-t", tag, dir]);
      const base = (await engine.imageHistory("alpine")) ?? [];
      const steps = (await engine.imageHistory(tag)) ?? [];
      expect(steps.slice(0, base.length)).toEqual(base);
      expect(steps.slice(base.length).map((step) => step.createdBy)).toEqual([
        expect.stringMatching(/^RUN .*touch \/hecho/),
        expect.stringMatching(/^LABEL hecho=si/),
      ]);
      expect(await engine.imageHistory(`engine-test-never:${uniqueSuffix()}`)).toBeUndefined();
    } finally {
      await docker(["rmi", tag]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("an engine that never answers", () => {
  let dir: string;
  let openNow = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    openNow++;
    socket.on("close", () => {
      openNow--;
      sockets.delete(socket);
    });
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "silent-"));
    await new Promise<void>((resolve) => server.listen(path.join(dir, "docker.sock"), resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("holds calls beyond its concurrency, times every call out, and names the engine", async () => {
    const silent = createDockerEngine({ host: `unix://${dir}/docker.sock`, timeoutMs: 1000, concurrency: 2 });
    const pending = Promise.allSettled(Array.from({ length: 6 }, () => silent.ping()));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(openNow).toBe(2);
    const results = await pending;
    for (const result of results) {
      expect(result.status).toBe("rejected");
      const reason = (result as PromiseRejectedResult).reason;
      expect(reason).toBeInstanceOf(EngineUnavailable);
      expect(reason.message).toContain(`unix://${dir}/docker.sock`);
    }
  });
});
