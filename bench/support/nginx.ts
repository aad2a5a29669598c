import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { log, readCpuSeconds, readPeakRssMiB, resetPeakRss } from "./processes.js";

const run = promisify(execFile);

export interface NginxServer {
  port: number;
  /** The worker's peak RSS (the master only forks and waits). */
  peakRssMiB(): Promise<number>;
  resetPeakRss(): Promise<void>;
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

/** Debian's nginx, installed on first use: the bench is meant to run on a fresh machine. */
export async function ensureNginx(): Promise<string> {
  for (const candidate of ["/usr/sbin/nginx", "/usr/bin/nginx"]) if (existsSync(candidate)) return candidate;
  log("nginx is not installed: installing Debian's nginx-light (apt-get install -y nginx-light)");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  try {
    await run("apt-get", ["install", "-y", "--no-install-recommends", "nginx-light"], { env, timeout: 300_000 });
  } catch {
    await run("apt-get", ["update"], { env, timeout: 300_000 });
    await run("apt-get", ["install", "-y", "--no-install-recommends", "nginx-light"], { env, timeout: 300_000 }).catch(
      () => run("apt-get", ["install", "-y", "--no-install-recommends", "nginx"], { env, timeout: 300_000 }),
    );
  }
  for (const candidate of ["/usr/sbin/nginx", "/usr/bin/nginx"]) if (existsSync(candidate)) return candidate;
  throw new Error("nginx could not be installed");
}

/**
 * nginx on 127.0.0.1 with everything (config, pid, logs, temp paths) in `directory`: one worker,
 * like the single-threaded Node service, serving `file` as application/json with its own ETag.
 */
export async function startNginx(options: { directory: string; file: string; port: number }): Promise<NginxServer> {
  const binary = await ensureNginx();
  const { stderr } = await run(binary, ["-v"]);
  log(`nginx: ${stderr.trim()}`);
  const d = options.directory;
  const config = `
worker_processes 1;
daemon off;
pid ${d}/nginx.pid;
error_log ${d}/error.log warn;
events { worker_connections 1024; }
http {
  access_log ${d}/access.log combined buffer=64k;
  client_body_temp_path ${d}/client_body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:${options.port};
    location = /lesson {
      default_type "application/json; charset=utf-8";
      alias ${options.file};
    }
  }
}
`;
  const configFile = path.join(d, "nginx.conf");
  await writeFile(configFile, config);
  const child = spawn(binary, ["-c", configFile, "-p", d, "-e", `${d}/error.log`], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${options.port}/lesson`);
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // starting
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`nginx did not start: ${await readFile(`${d}/error.log`, "utf8").catch(() => "")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const workerPid = async () => {
    const children = await readFile(`/proc/${child.pid}/task/${child.pid}/children`, "utf8");
    const pid = Number(children.trim().split(/\s+/)[0]);
    if (!pid) throw new Error("nginx has no worker process");
    return pid;
  };
  return {
    port: options.port,
    peakRssMiB: async () => readPeakRssMiB(await workerPid()),
    resetPeakRss: async () => resetPeakRss(await workerPid()),
    cpuSeconds: async () => readCpuSeconds(await workerPid()),
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGQUIT");
      await exited;
    },
  };
}
