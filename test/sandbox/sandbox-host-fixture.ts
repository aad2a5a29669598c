import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { createSandboxHostClient } from "../../src/sandbox/host-client.js";
import { createHostedSandboxProvider, type HostedSandboxProvider } from "../../src/sandbox/sandbox-provider.js";
import { serveSandboxHost } from "../../src/sandbox-host/host-server.js";
import { createRootlessSandboxes } from "../../src/sandbox-host/rootless-sandboxes.js";

export const run = promisify(execFile);

/** What a command in a sandbox's engine said, whether it succeeded or not. */
export async function docker(engineSocket: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await run("docker", ["--host", `unix://${engineSocket}`, ...args], {
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === "number" ? failed.code : 1,
      stdout: failed.stdout ?? "",
      stderr: failed.stderr ?? "",
    };
  }
}

export type SandboxHostFixture = Awaited<ReturnType<typeof startSandboxHost>>;

/**
 * The real sandbox host, in this (root) test process, with names of its own: users, cgroups and
 * iptables rules all start with `prefix`, so a test counts exactly what this host made. Its images
 * come from the lab's engine (DOCKER_HOST), where scripts/test-lab.sh built the stand-ins.
 */
export async function startSandboxHost(
  overrides: { max?: number; memoryMib?: number; pids?: number; diskMib?: number; moreImages?: string[] } = {},
) {
  const prefix = `t${randomBytes(3).toString("hex")}`;
  const stateDir = await mkdtemp(path.join(tmpdir(), "sandbox-host-"));
  const runDir = `/run/${prefix}-sandboxes`;
  const secret = randomBytes(24).toString("hex");
  const defaults = loadConfig({}).sandboxes;
  const sandboxes = createRootlessSandboxes(
    {
      stateDir,
      runDir,
      namePrefix: prefix,
      serviceGid: 0,
      max: overrides.max ?? 4,
      quota: {
        memoryBytes: (overrides.memoryMib ?? 512) * 1024 * 1024,
        pids: overrides.pids ?? 512,
        cpus: 1,
        diskBytes: (overrides.diskMib ?? 2048) * 1024 * 1024,
      },
      preloadImages: [...defaults.preloadImages, ...(overrides.moreImages ?? [])],
      imagesFrom: process.env.DOCKER_HOST,
    },
    () => undefined,
  );
  const socketPath = path.join(runDir, "host.sock");
  let server: Awaited<ReturnType<typeof serveSandboxHost>>;
  try {
    await sandboxes.prepare();
    server = await serveSandboxHost({ socketPath, secret, serviceGid: 0, sandboxes, log: () => undefined });
  } catch (error) {
    // A host that failed to start leaves nothing either.
    await sandboxes.destroyAll();
    await rm(runDir, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
  return {
    prefix,
    stateDir,
    runDir,
    socketPath,
    secret,
    sandboxes,
    client: createSandboxHostClient({ socketPath, secret }),
    /** Destroys every sandbox and removes what the host made: run it in afterAll, whatever happened. */
    async close() {
      await server.close();
      await sandboxes.destroyAll();
      await rm(runDir, { recursive: true, force: true });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * A started provider of the host's sandboxes, `max` at a time: no warm pool, and idle and age limits
 * that no test lasts long enough to reach.
 */
export async function startProvider(host: SandboxHostFixture, max: number): Promise<HostedSandboxProvider> {
  const provider = createHostedSandboxProvider({
    host: host.client,
    settings: { warmPool: 0, max, idleMs: 600_000, maxAgeMs: 3_600_000 },
    log: () => undefined,
  });
  try {
    await provider.start();
  } catch (error) {
    await provider.close();
    throw error;
  }
  return provider;
}

/** The lesson's container, `docker run -d --name example2 alpine tail -f /dev/null`, run in a sandbox's engine. */
export async function runLessonContainer(engineSocket: string): Promise<void> {
  const started = await docker(engineSocket, "run", "-d", "--name", "example2", "alpine", "tail", "-f", "/dev/null");
  expect(started.code, started.stderr).toBe(0);
}

/** Where Debian's docker-compose package puts the Compose v2 plugin (scripts/docker-lab.sh installs it). */
const COMPOSE_PLUGIN = "/usr/libexec/docker/cli-plugins/docker-compose";

/**
 * A stand-in for docker:cli, the terminal's image, in the lab's engine (DOCKER_HOST): the lab's alpine
 * with this machine's docker CLI, which must be a static binary (the stand-in alpine has no libc),
 * and, as in docker:cli, the Compose plugin, with the C library it is linked against.
 */
export async function makeConsoleImage(image = "docker:cli"): Promise<string> {
  const cli = (await run("sh", ["-c", "command -v docker"])).stdout.trim();
  const made = (await run("docker", ["create", "alpine", "true"])).stdout.trim();
  try {
    await run("docker", ["cp", cli, `${made}:/bin/docker`]);
    const libraries = [...(await run("ldd", [COMPOSE_PLUGIN])).stdout.matchAll(/(\/\S+\.so[.\d]*) \(/g)].map(
      (match) => match[1] as string,
    );
    // tar keeps each file's path and follows the libraries' links; docker cp unpacks it at /.
    await run("sh", ["-c", 'tar -chf - "$@" 2>/dev/null | docker cp - "$0:/"', made, COMPOSE_PLUGIN, ...libraries]);
    await run("docker", ["commit", made, image]);
  } finally {
    await run("docker", ["rm", made]);
  }
  return image;
}
