import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import Docker from "dockerode";
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

describe("the event log of a container's last run", () => {
  const runOf = async (name: string) => {
    const facts = await engine.inspectContainer(name);
    if (!facts) throw new Error(`${name} is gone`);
    expect(facts.exitCode).toBe(137);
    return engine.runEvents(facts.id, facts.startedAt, 2000);
  };

  it("shows the kernel's oom kill with no signal from the engine, and docker kill and stop as the engine's", async () => {
    const hungry = `engine-test-oom-${uniqueSuffix()}`;
    const killed = `engine-test-kill-${uniqueSuffix()}`;
    const stopped = `engine-test-stop-${uniqueSuffix()}`;
    try {
      await docker(["run", "--name", hungry, "-m", "16m", "alpine", "tail", "/dev/zero"]).catch(() => {});
      await docker(["run", "-d", "--name", killed, "-m", "16m", "alpine", "tail", "-f", "/dev/null"]);
      await docker(["kill", killed]);
      await docker(["wait", killed]);
      // tail, as PID 1 with no handler, ignores SIGTERM: stop ends it with SIGKILL after 1 s.
      await docker(["run", "-d", "--name", stopped, "-m", "16m", "alpine", "tail", "-f", "/dev/null"]);
      await docker(["stop", "-t", "1", stopped]);

      const whole = { fromStart: true, toDie: true };
      expect(await runOf(hungry)).toMatchObject({ ...whole, signalledByEngine: false });
      expect(await runOf(killed)).toEqual({ ...whole, signalledByEngine: true, oom: false });
      expect(await runOf(stopped)).toEqual({ ...whole, signalledByEngine: true, oom: false });
    } finally {
      await docker(["rm", "-f", hungry, killed, stopped]).catch(() => {});
    }
  });

  it("has no kill event for a SIGKILL from outside the engine, as from the kernel", async () => {
    const outside = `engine-test-outside-${uniqueSuffix()}`;
    try {
      await docker(["run", "-d", "--name", outside, "-m", "16m", "alpine", "tail", "-f", "/dev/null"]);
      // The engine runs on this host (scripts/docker-lab.sh): its PIDs are ours to signal.
      process.kill(Number(await docker(["inspect", "-f", "{{.State.Pid}}", outside])), "SIGKILL");
      await docker(["wait", outside]);
      expect(await runOf(outside)).toEqual({ fromStart: true, toDie: true, signalledByEngine: false, oom: false });
    } finally {
      await docker(["rm", "-f", outside]).catch(() => {});
    }
  });

  it("reads only the last run of a container started again", async () => {
    const twice = `engine-test-twice-${uniqueSuffix()}`;
    // Sleeps the first time (and is killed by the engine), fills its memory the second.
    const script = "if [ -f /ran-before ]; then tail /dev/zero; else touch /ran-before; sleep 600; fi";
    try {
      await docker(["run", "-d", "--name", twice, "-m", "16m", "alpine", "sh", "-c", script]);
      await docker(["kill", twice]);
      await docker(["wait", twice]);
      await docker(["start", "-a", twice]).catch(() => {});
      expect(await runOf(twice)).toMatchObject({ fromStart: true, toDie: true, signalledByEngine: false });
    } finally {
      await docker(["rm", "-f", twice]).catch(() => {});
    }
  });

  it("stops waiting after waitMs for a run that has not died", async () => {
    const alive = `engine-test-alive-${uniqueSuffix()}`;
    try {
      await docker(["run", "-d", "--name", alive, "alpine", "tail", "-f", "/dev/null"]);
      const facts = await engine.inspectContainer(alive);
      if (!facts) throw new Error(`${alive} is gone`);
      // The stream stays open for a live container: only the wait ends it.
      expect(await engine.runEvents(facts.id, facts.startedAt, 300)).toMatchObject({ fromStart: true, toDie: false });
    } finally {
      await docker(["rm", "-f", alive]).catch(() => {});
    }
  });

  it("says it no longer reaches the run's start once 256 newer events have pushed it out", async () => {
    const old = `engine-test-old-${uniqueSuffix()}`;
    const tags: string[] = [];
    try {
      await docker(["run", "--name", old, "-m", "16m", "alpine", "tail", "/dev/zero"]).catch(() => {});
      const alpine = new Docker().getImage("alpine");
      for (let i = 0; i < 150; i++) tags.push(`flood-${uniqueSuffix()}-${i}`);
      for (const tag of tags) await alpine.tag({ repo: "engine-test-flood", tag });
      await docker(["rmi", ...tags.map((tag) => `engine-test-flood:${tag}`)]);
      expect(await runOf(old)).toMatchObject({ fromStart: false, toDie: false });
    } finally {
      await docker(["rm", "-f", old]).catch(() => {});
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
