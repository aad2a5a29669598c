import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { docker } from "./learner-shell.js";

export interface SecondEngine {
  host: string;
  /** The daemon's network namespace (/proc/PID/ns/net): `nsenter --net=…` reaches its published ports on 127.0.0.1. */
  netns(): Promise<string>;
  /** Stops the daemon and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same folder and socket, with its images and containers: a daemon restart. */
  start(): Promise<void>;
  /** Stops it if still running and removes its folder. */
  dispose(): Promise<void>;
}

/**
 * A Docker daemon of the test's own, beside the shared one: its own socket, data, exec root and
 * pidfile under a temp folder, no bridge and no iptables changes, so stopping it touches nothing else.
 * It also gets its own network namespace: with `--bridge none`, dockerd deletes any `docker0`
 * interface it can see at start-up, which would cut the shared engine's containers off.
 */
export async function startSecondEngine(
  options: {
    images?: string[];
    /**
     * More dockerd flags, e.g. a `--host tcp://127.0.0.1:PORT` listener with `--tlsverify`. When given,
     * the namespace's loopback is brought up first (it starts down), so such a listener can bind.
     */
    extraArgs?: string[];
    /**
     * "bridge": a default bridge network (docker0) and iptables rules, as a learner's engine has, all
     * inside the daemon's own namespace, so `-p` and user-defined networks work there. Default "none".
     */
    network?: "none" | "bridge";
  } = {},
): Promise<SecondEngine> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "engine-"));
  const host = `unix://${dir}/docker.sock`;
  let daemon: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const stop = async () => {
    if (!daemon || daemon.exitCode !== null || daemon.signalCode !== null) return;
    const pid = Number(await readFile(`${dir}/docker.pid`, "utf8").catch(() => String(daemon?.pid)));
    process.kill(pid, "SIGTERM");
    await exited;
  };

  const start = async () => {
    const extraArgs = options.extraArgs ?? [];
    const bridge = options.network === "bridge";
    const loopbackUp = extraArgs.length > 0 || bridge ? ["sh", "-c", 'ip link set lo up && exec "$@"', "sh"] : [];
    const child = spawn(
      "unshare",
      [
        "--net",
        ...loopbackUp,
        "dockerd",
        "--host",
        host,
        "--data-root",
        `${dir}/data`,
        "--exec-root",
        `${dir}/exec`,
        "--pidfile",
        `${dir}/docker.pid`,
        ...(bridge ? [] : ["--bridge", "none", "--iptables=false"]),
        // Containers get 1 s to stop, not 10: tests stop this engine on purpose.
        "--shutdown-timeout=1",
        ...extraArgs,
      ],
      { stdio: "ignore", detached: true },
    );
    daemon = child;
    exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await docker(["info", "--format", "{{.ServerVersion}}"], { host });
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          await stop().catch(() => {});
          throw new Error(`second engine did not start within 30 s: ${String(error)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  };

  await start();
  for (const image of options.images ?? []) {
    await new Promise<void>((resolve, reject) => {
      const save = spawn("docker", ["save", image], { stdio: ["ignore", "pipe", "inherit"] });
      const load = spawn("docker", ["load", "-q"], {
        env: { ...process.env, DOCKER_HOST: host },
        stdio: ["pipe", "ignore", "inherit"],
      });
      save.stdout.pipe(load.stdin);
      load.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`docker load exited ${code}`))));
    });
  }
  return {
    host,
    netns: async () => `/proc/${Number(await readFile(`${dir}/docker.pid`, "utf8"))}/ns/net`,
    stop,
    start,
    dispose: async () => {
      await stop().catch(() => {});
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    },
  };
}
