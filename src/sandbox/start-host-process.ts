import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { SandboxSettings } from "../config/config.js";
import { createSandboxHostClient } from "./host-client.js";

const READY_TIMEOUT_MS = 120_000;
const HOST_ENTRY = path.join(import.meta.dirname, "..", "sandbox-host", "main.ts");

/**
 * `npm start` with SANDBOXES_ENABLED on a developer's machine: starts the sandbox host beside the
 * service. As root it is a child process; as anyone else through `sudo -n`, so the service itself
 * keeps its user (sudo must be allowed without a password prompt). The secret is made here when
 * SANDBOX_HOST_SECRET is unset, and the sockets are given to this process's group.
 */
export async function startSandboxHostProcess(
  settings: SandboxSettings,
  dockerHost: string | undefined,
  log: (line: string) => void,
): Promise<{ settings: SandboxSettings; stop(): void }> {
  const secret = settings.hostSecret ?? randomBytes(32).toString("hex");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SANDBOX_HOST_SECRET: secret,
    SANDBOX_SERVICE_GID: String(settings.serviceGid ?? process.getgid?.() ?? 0),
    ...(dockerHost ? { DOCKER_HOST: dockerHost } : {}),
  };
  const node: [string, ...string[]] = [process.execPath, "--import", "tsx", HOST_ENTRY];
  const asRoot = process.getuid?.() === 0;
  const names = Object.keys(env).filter(
    (name) => name.startsWith("SANDBOX") || name === "DOCKER_HOST" || name === "PATH",
  );
  const [command, ...args]: [string, ...string[]] = asRoot
    ? node
    : ["sudo", "-n", `--preserve-env=${names.join(",")}`, ...node];
  log(`starting the sandbox host${asRoot ? "" : " with sudo -n"}: ${HOST_ENTRY}`);
  const child: ChildProcess = spawn(command, args, { env, stdio: ["ignore", "inherit", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const client = createSandboxHostClient({ socketPath: settings.hostSocket, secret, timeoutMs: 2000 });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const answered = await client.list().then(
      () => true,
      () => false,
    );
    if (answered) break;
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 250, "waiting"))]);
    if (code !== "waiting") throw new Error(`the sandbox host exited (${String(code)}) before it answered`);
    if (Date.now() > deadline) throw new Error(`the sandbox host did not answer on ${settings.hostSocket}`);
  }
  return { settings: { ...settings, hostSecret: secret }, stop: () => void child.kill("SIGTERM") };
}
