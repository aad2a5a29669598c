import path from "node:path";
import { loadConfigOrExit } from "../config/config.js";
import { serveSandboxHost } from "./host-server.js";
import { createRootlessSandboxes } from "./rootless-sandboxes.js";

/**
 * The sandbox host: the only part of the service that runs as root (useradd, cgroups, iptables,
 * mounts). `npm start` starts it when SANDBOXES_ENABLED is true; a deployment runs it as its own
 * service (compose.yaml's sandbox-host). It reads the same settings as the service.
 */
async function main(): Promise<void> {
  const log = (line: string) => console.log(`sandbox-host: ${line}`);
  if (process.getuid?.() !== 0) {
    console.error("sandbox-host: must run as root (it makes users, cgroups, mounts and iptables rules)");
    process.exit(1);
  }
  const config = loadConfigOrExit();
  const settings = config.sandboxes;
  if (!settings.hostSecret) {
    console.error("sandbox-host: SANDBOX_HOST_SECRET is not set; every request must carry it");
    process.exit(78);
  }
  const serviceGid = settings.serviceGid ?? 0;
  const sandboxes = createRootlessSandboxes(
    {
      stateDir: settings.stateDir,
      runDir: path.dirname(settings.hostSocket),
      namePrefix: settings.namePrefix,
      serviceGid,
      max: settings.max,
      quota: settings.quota,
      preloadImages: [...settings.preloadImages, settings.consoleImage],
      imagesFrom: config.docker.host,
    },
    log,
  );
  await sandboxes.prepare();
  const reaped = await sandboxes.reapDead();
  if (reaped > 0) log(`reaped ${reaped} sandboxes whose engines had stopped`);
  const server = await serveSandboxHost({
    socketPath: settings.hostSocket,
    secret: settings.hostSecret,
    serviceGid,
    sandboxes,
    log,
  });
  // A backstop for a service that is gone: no sandbox outlives the maximum age, and dead engines are reaped.
  const sweep = setInterval(async () => {
    try {
      await sandboxes.reapDead();
      for (const sandbox of await sandboxes.list()) {
        if (Date.now() - Date.parse(sandbox.createdAt) > settings.maxAgeMs) await sandboxes.destroy(sandbox.id);
      }
    } catch (error) {
      log(`sweep failed: ${String(error)}`);
    }
  }, 30_000);
  const stop = async (signal: string) => {
    log(`${signal}: destroying every sandbox, then exiting`);
    clearInterval(sweep);
    await server.close();
    await sandboxes.destroyAll();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}

await main();
