import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createReadStream, existsSync, openSync } from "node:fs";
import { chmod, chown, mkdir, readdir, readFile, rm, rmdir, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { promisify } from "node:util";
import { z } from "zod";
import type { HostSandbox } from "../sandbox/host-protocol.js";

const run = promisify(execFile);

/** The cgroup v1 controllers whose group each sandbox's processes join; freezer lets a reap stop them all at once. */
const JOINED_CONTROLLERS = ["memory", "pids", "cpu", "freezer"];
/**
 * runc looks for a mount of each of these, even when rootless on cgroup v1 uses none: the sandbox
 * gets an empty group of its own in each, so that it sees no other group (and no host PID) there.
 */
const SEEN_CONTROLLERS = ["cpuacct", "cpuset", "devices", "blkio", "net_cls", "perf_event", "hugetlb"];
const CGROUP_ROOT = "/sys/fs/cgroup";
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const CPU_PERIOD_US = 100_000;
const controllers = () => [
  ...JOINED_CONTROLLERS,
  ...SEEN_CONTROLLERS.filter((controller) => existsSync(path.join(CGROUP_ROOT, controller))),
];
const PRIVATE_ROOT_SCRIPT = path.join(import.meta.dirname, "private-root.sh");

interface RootlessSandboxSettings {
  /** Disk images, engine logs and the preload archive: root's only. */
  stateDir: string;
  /** Where each sandbox's engine socket is made: RUN_DIR/ID/docker.sock. */
  runDir: string;
  /** Users are PREFIX-ID, cgroups PREFIX/ID under each controller, iptables rules are commented PREFIX:ID. */
  namePrefix: string;
  /** The group that may connect to the engines' sockets: the service's. */
  serviceGid: number;
  max: number;
  quota: { memoryBytes: number; pids: number; cpus: number; diskBytes: number };
  /** Images every sandbox starts with, saved once from `imagesFrom` (a DOCKER_HOST) at start-up. */
  preloadImages: readonly string[];
  imagesFrom: string | undefined;
}

export class HostError extends Error {
  constructor(
    readonly code: "capacity" | "not-found" | "refused" | "failed",
    message: string,
  ) {
    super(message);
  }
}

const SandboxRecordSchema = z.object({ id: z.string(), user: z.string(), uid: z.number(), createdAt: z.string() });
type SandboxRecord = z.infer<typeof SandboxRecordSchema>;

/**
 * Rootless Docker engines, one per sandbox, each under its own user, cgroups, disk and mount root
 * (private-root.sh), with an egress rule on its uid. Engines are found by their cgroups, never by a
 * stored PID: PIDs wrap within minutes on these machines.
 */
export function createRootlessSandboxes(settings: RootlessSandboxSettings, log: (line: string) => void) {
  const prefix = settings.namePrefix;
  const userOf = (id: string) => `${prefix}-${id}`;
  const cgroupOf = (controller: string, id: string) => path.join(CGROUP_ROOT, controller, prefix, id);
  const sandboxDir = (id: string) => path.join(settings.stateDir, "sandboxes", id);
  const runtimeDir = (id: string) => path.join(settings.runDir, id);
  const socketOf = (id: string) => path.join(runtimeDir(id), "docker.sock");
  const imagesArchive = path.join(settings.stateDir, "preload-images.tar");
  let haveImages = false;
  const creating = new Set<string>();
  const engines = new Map<string, ChildProcess>();
  // useradd and userdel lock /etc/passwd and fail rather than wait: one at a time.
  let accountsQueue: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const next = accountsQueue.then(work, work);
    accountsQueue = next.catch(() => undefined);
    return next;
  };

  async function ids(): Promise<string[]> {
    const entries = await readdir(path.join(settings.stateDir, "sandboxes")).catch(() => []);
    return entries.filter((entry) => /^[0-9a-f]{10}$/.test(entry));
  }

  async function processesOf(id: string): Promise<number[]> {
    const text = await readFile(path.join(cgroupOf("pids", id), "cgroup.procs"), "utf8").catch(() => "");
    return text.split("\n").filter(Boolean).map(Number);
  }

  async function describe(id: string): Promise<HostSandbox | undefined> {
    const record = await readRecord(id);
    if (!record) return undefined;
    return {
      id,
      engineSocket: socketOf(id),
      createdAt: record.createdAt,
      running: (await processesOf(id)).length > 0,
    };
  }

  async function readRecord(id: string): Promise<SandboxRecord | undefined> {
    try {
      return SandboxRecordSchema.parse(JSON.parse(await readFile(path.join(sandboxDir(id), "sandbox.json"), "utf8")));
    } catch {
      return undefined;
    }
  }

  async function egressRules(action: "-I" | "-D", uid: number, id: string): Promise<void> {
    const comment = `${prefix}:${id}`;
    // Everything the engine's user sends is refused: slirp4netns makes the containers' connections as
    // this user, so no container reaches another host, this host's addresses, or other sandboxes.
    const rules = [
      ["-p", "tcp", "-j", "REJECT", "--reject-with", "tcp-reset"],
      ["-j", "REJECT"],
    ];
    for (const tool of ["iptables", "ip6tables"]) {
      for (const rule of action === "-I" ? [...rules].reverse() : rules) {
        const args = ["-w", action, "OUTPUT", "-m", "owner", "--uid-owner", String(uid), "-m", "comment"];
        args.push("--comment", comment, ...rule);
        if (action === "-I") {
          await run(tool, args);
        } else {
          // Deleted until none is left: a rule added twice by an interrupted create goes too.
          while (
            await run(tool, args).then(
              () => true,
              () => false,
            )
          ) {}
        }
      }
    }
  }

  async function writeLimits(id: string): Promise<void> {
    const { memoryBytes, pids, cpus } = settings.quota;
    await writeFile(path.join(cgroupOf("memory", id), "memory.limit_in_bytes"), String(memoryBytes));
    // Memory plus swap, where the kernel accounts it: a sandbox cannot trade its limit for swap.
    await writeFile(path.join(cgroupOf("memory", id), "memory.memsw.limit_in_bytes"), String(memoryBytes)).catch(
      () => undefined,
    );
    await writeFile(path.join(cgroupOf("pids", id), "pids.max"), String(pids));
    await writeFile(path.join(cgroupOf("cpu", id), "cpu.cfs_period_us"), String(CPU_PERIOD_US));
    await writeFile(path.join(cgroupOf("cpu", id), "cpu.cfs_quota_us"), String(Math.round(cpus * CPU_PERIOD_US)));
  }

  function startEngine(id: string, user: string): ChildProcess {
    const root = path.join(sandboxDir(id), "root");
    const joinCgroups = JOINED_CONTROLLERS.map((c) => `echo $$ > ${path.join(cgroupOf(c, id), "cgroup.procs")}`).join(
      "; ",
    );
    const logFile = openSync(path.join(sandboxDir(id), "engine.log"), "a");
    // The shell joins the cgroups before anything else runs, so every process of the engine is counted.
    const child = spawn(
      "sh",
      [
        "-c",
        `${joinCgroups}; exec unshare --mount --propagation private bash "$0" "$@"`,
        PRIVATE_ROOT_SCRIPT,
        root,
        user,
        path.join(sandboxDir(id), "disk.img"),
        runtimeDir(id),
        ...controllers().map((controller) => `--cgroup=${cgroupOf(controller, id)}`),
        "--data-root",
        "/home/sandbox/docker",
        "--userland-proxy=false",
        "--host",
        `unix://${socketOf(id)}`,
      ],
      { detached: true, stdio: ["ignore", logFile, logFile] },
    );
    child.unref();
    engines.set(id, child);
    child.once("exit", () => engines.delete(id));
    return child;
  }

  function ping(socketPath: string): Promise<boolean> {
    return new Promise((resolve) => {
      const request = http.get({ socketPath, path: "/_ping", timeout: 2000 }, (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      });
      request.on("error", () => resolve(false));
      request.on("timeout", () => request.destroy());
    });
  }

  async function waitUntilReady(id: string, engine: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let exited = false;
    engine.once("exit", () => {
      exited = true;
    });
    while (!(await ping(socketOf(id)))) {
      if (exited || Date.now() > deadline) {
        const tail = (await readFile(path.join(sandboxDir(id), "engine.log"), "utf8").catch(() => ""))
          .split("\n")
          .slice(-8)
          .join("\n");
        throw new HostError("failed", `sandbox ${id}'s engine ${exited ? "exited" : "did not answer"}:\n${tail}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function loadImages(id: string): Promise<void> {
    if (!haveImages) return;
    await new Promise<void>((resolve, reject) => {
      const request = http.request(
        {
          socketPath: socketOf(id),
          path: "/images/load?quiet=1",
          method: "POST",
          headers: { "content-type": "application/x-tar" },
        },
        (response) => {
          response.resume();
          response.on("end", () =>
            response.statusCode === 200
              ? resolve()
              : reject(new HostError("failed", `image load: ${response.statusCode}`)),
          );
        },
      );
      request.on("error", reject);
      createReadStream(imagesArchive).pipe(request);
    });
  }

  async function destroy(id: string): Promise<void> {
    const record = await readRecord(id);
    await stopProcesses(id);
    for (const controller of controllers()) {
      await rmdir(cgroupOf(controller, id)).catch(() => undefined);
    }
    if (record) {
      await egressRules("-D", record.uid, id);
      await oneAtATime(() => run("userdel", [record.user]).catch(() => undefined));
    }
    await rm(runtimeDir(id), { recursive: true, force: true });
    // The disk image's loop mount lived only in the engine's mount namespace, gone with its processes.
    await rm(sandboxDir(id), { recursive: true, force: true });
    log(`sandbox ${id}: destroyed`);
  }

  /** Freezes the group so nothing forks while it is killed, kills every process, and waits until it is empty. */
  async function stopProcesses(id: string): Promise<void> {
    const freezer = cgroupOf("freezer", id);
    await writeFile(path.join(freezer, "freezer.state"), "FROZEN").catch(() => undefined);
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    for (;;) {
      const pids = await processesOf(id);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {}
      }
      await writeFile(path.join(freezer, "freezer.state"), "THAWED").catch(() => undefined);
      if (Date.now() > deadline) throw new HostError("failed", `sandbox ${id}: ${pids.length} processes would not die`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    engines.get(id)?.kill("SIGKILL");
  }

  return {
    /** Saves the preload images once from `imagesFrom`; without them, sandboxes start with no images. */
    async prepare(): Promise<void> {
      await mkdir(path.join(settings.stateDir, "sandboxes"), { recursive: true, mode: 0o700 });
      await mkdir(settings.runDir, { recursive: true });
      await chown(settings.runDir, 0, settings.serviceGid);
      await chmod(settings.runDir, 0o750);
      for (const controller of controllers())
        await mkdir(path.join(CGROUP_ROOT, controller, prefix), { recursive: true });
      if (settings.preloadImages.length === 0) return;
      const env = settings.imagesFrom ? { ...process.env, DOCKER_HOST: settings.imagesFrom } : process.env;
      // One image missing (the terminal's docker:cli, say) must not cost every sandbox all the others.
      const present: string[] = [];
      for (const image of settings.preloadImages) {
        const found = await run("docker", ["image", "inspect", "--format", "{{.Id}}", image], { env }).then(
          () => true,
          () => false,
        );
        if (found) present.push(image);
        else
          log(
            `preload image ${image} is not on ${settings.imagesFrom ?? "the default engine"}: sandboxes start without it`,
          );
      }
      if (present.length === 0) return;
      try {
        await run("docker", ["save", "-o", imagesArchive, ...present], { env });
        haveImages = true;
        log(`preload images saved: ${present.join(", ")}`);
      } catch (error) {
        log(`sandboxes start without images: could not save ${present.join(", ")}: ${String(error)}`);
      }
    },

    async create(): Promise<HostSandbox> {
      // A sandbox being made has its folder already: counted once, among those being made.
      const made = (await ids()).filter((id) => !creating.has(id)).length;
      if (made + creating.size >= settings.max) {
        throw new HostError("capacity", `This host already runs its maximum of ${settings.max} sandboxes.`);
      }
      const id = randomBytes(5).toString("hex");
      creating.add(id);
      const user = userOf(id);
      try {
        await mkdir(path.join(sandboxDir(id), "root"), { recursive: true, mode: 0o700 });
        await oneAtATime(() =>
          run("useradd", ["--no-create-home", "--home-dir", "/home/sandbox", "--shell", "/usr/sbin/nologin", user]),
        );
        const uid = Number((await run("id", ["-u", user])).stdout.trim());
        const record: SandboxRecord = { id, user, uid, createdAt: new Date().toISOString() };
        await writeFile(path.join(sandboxDir(id), "sandbox.json"), JSON.stringify(record));
        await mkdir(runtimeDir(id), { mode: 0o750 });
        await chown(runtimeDir(id), uid, settings.serviceGid);
        await chmod(runtimeDir(id), 0o750);
        const disk = path.join(sandboxDir(id), "disk.img");
        await run("truncate", ["-s", String(settings.quota.diskBytes), disk]);
        await run("mkfs.ext4", ["-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1", disk]);
        for (const controller of controllers()) await mkdir(cgroupOf(controller, id));
        await writeLimits(id);
        await egressRules("-I", uid, id);
        const engine = startEngine(id, user);
        await waitUntilReady(id, engine);
        await chown(socketOf(id), uid, settings.serviceGid);
        await chmod(socketOf(id), 0o660);
        await loadImages(id);
        log(`sandbox ${id}: ready`);
        const described = await describe(id);
        if (!described) throw new HostError("failed", `sandbox ${id} vanished while it was made`);
        return described;
      } catch (error) {
        await destroy(id).catch((cleanup) => log(`sandbox ${id}: cleanup after a failed create: ${String(cleanup)}`));
        throw error instanceof HostError ? error : new HostError("failed", `sandbox ${id}: ${String(error)}`);
      } finally {
        creating.delete(id);
      }
    },

    async destroy(id: string): Promise<void> {
      if (!(await stat(sandboxDir(id)).catch(() => undefined))) {
        throw new HostError("not-found", `No sandbox ${id} on this host.`);
      }
      await destroy(id);
    },

    async list(): Promise<HostSandbox[]> {
      const all = await Promise.all((await ids()).filter((id) => !creating.has(id)).map(describe));
      return all.filter((sandbox) => sandbox !== undefined);
    },

    /** Reaps what a crashed host or a half-made create left: sandboxes whose engine is gone. */
    async reapDead(): Promise<number> {
      let reaped = 0;
      for (const id of await ids()) {
        if (creating.has(id)) continue;
        if ((await processesOf(id)).length === 0) {
          await destroy(id);
          reaped++;
        }
      }
      return reaped;
    },

    /** Destroys every sandbox and removes the host's own cgroups: what stopping the host leaves is nothing. */
    async destroyAll(): Promise<void> {
      for (const id of await ids()) await destroy(id);
      for (const controller of controllers())
        await rmdir(path.join(CGROUP_ROOT, controller, prefix)).catch(() => undefined);
    },
  };
}

export type RootlessSandboxes = ReturnType<typeof createRootlessSandboxes>;
