import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDockerEngine } from "../../src/docker/engine.js";
import { eventually } from "../support/polling.js";
import { containerdStoreEngine, docker, uniqueSuffix } from "./learner-shell.js";

/**
 * An exec past its deadline is killed inside the container, on both image stores: the Engine API has
 * no call that stops an exec, and a command left blocked (a `cat` of a FIFO) would hold its process,
 * and the engine's work, forever.
 */

const stores = [
  { store: "classic", host: process.env.DOCKER_HOST },
  { store: "containerd", host: containerdStoreEngine()?.host },
].filter((entry): entry is { store: string; host: string } => entry.host !== undefined);

describe.each(stores)("an exec past its deadline on the $store image store's engine", ({ host }) => {
  const engine = createDockerEngine({ host, timeoutMs: 5000, concurrency: 4, execTimeoutMs: 400 });
  const name = `exec-deadline-${uniqueSuffix()}`;
  const commandsOf = async () => (await engine.top(name)).processes.map((row) => row.at(-1) ?? "");

  beforeAll(async () => {
    await docker(["run", "-d", "--name", name, "alpine", "sh", "-c", "mkfifo /tmp/nota.txt; exec sleep 3600"], {
      host,
    });
  });
  afterAll(async () => {
    engine.close();
    await docker(["rm", "-f", name], { host }).catch(() => {});
  });

  it("kills a command blocked on a FIFO, and says it timed out", async () => {
    const outcome = await engine.execFixed(name, ["cat", "/tmp/nota.txt"], { timeoutMs: 300, maxBytes: 1024 });
    expect(outcome).toMatchObject({ exitCode: null, timedOut: true, deadlineMs: 300, text: "" });
    const left = await eventually(commandsOf, (commands) => !commands.some((c) => c.includes("cat")), 5000);
    expect(left).toEqual(["sleep 3600"]);
  });

  it("kills the command's children with it", async () => {
    const outcome = await engine.execFixed(name, ["sh", "-c", "sleep 1001 & sleep 1002; echo never"], {
      timeoutMs: 300,
      maxBytes: 1024,
    });
    expect(outcome).toMatchObject({ timedOut: true });
    const left = await eventually(commandsOf, (commands) => !commands.some((c) => /sleep 100[12]/.test(c)), 5000);
    expect(left).toEqual(["sleep 3600"]);
  });

  it("holds every exec to the engine's ceiling, whatever its caller asks", async () => {
    const started = performance.now();
    const outcome = await engine.execFixed(name, ["sleep", "1003"], { timeoutMs: 10_000, maxBytes: 1024 });
    expect(outcome).toMatchObject({ timedOut: true, deadlineMs: 400 });
    expect(performance.now() - started).toBeLessThan(3000);
    await eventually(commandsOf, (commands) => !commands.some((c) => c.includes("sleep 1003")), 5000);
    expect(await commandsOf()).toEqual(["sleep 3600"]);
  });

  it("passes the command's output and exit code through its wrapper unchanged", async () => {
    const outcome = await engine.execFixed(name, ["sh", "-c", 'printf "%s" "$0"; exit 7', "sin-salto"], {
      timeoutMs: 3000,
      maxBytes: 1024,
    });
    expect(outcome).toEqual({ text: "sin-salto", truncated: false, exitCode: 7, timedOut: false, deadlineMs: 400 });
  });
});
