import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabaseClient, type Database } from "../../src/db/prisma.js";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { createTestClient, createTestDatabase, type TestDatabase } from "../helper.js";

/**
 * The real server process (`node --import tsx src/server.ts`) gets SIGTERM while submissions
 * pour in: requests it accepted complete, later ones fail cleanly (refused, or 503 while it
 * drains), it exits 0, and no submission is stored without its progress, or vice versa.
 */
const EXERCISE = "alpine-una-vez";
const CONCURRENCY = 20;
const projectRoot = path.resolve(import.meta.dirname, "../..");

let database: TestDatabase;
let db: Database;
let server: ChildProcess;
let output = "";
let auth: string;
const container = `shutdown-${uniqueSuffix()}`;

beforeAll(async () => {
  await docker(["run", "--name", container, "--network", "none", "alpine", "true"]);
  database = await createTestDatabase();
  db = createDatabaseClient(database.url);
  auth = (await createTestClient(db, ["admin"], "shutdown")).auth;
}, 60_000);

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
  await db?.$disconnect();
  await database?.drop();
  await docker(["rm", "-f", container]).catch(() => {});
});

type Outcome =
  | { kind: "graded"; id: string }
  | { kind: "draining"; status: number; body: string }
  | { kind: "refused"; code: string };

describe("SIGTERM under load", () => {
  it("drains accepted requests, refuses the rest cleanly, exits 0, and leaves no half-written rows", {
    timeout: 120_000,
  }, async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    server = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
      cwd: projectRoot,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: "127.0.0.1",
        DATABASE_URL: database.url,
        LOG_LEVEL: "warn",
        RATE_LIMIT_PER_MINUTE: "1000000",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server.stdout?.on("data", (chunk) => {
      output = (output + chunk).slice(-4000);
    });
    server.stderr?.on("data", (chunk) => {
      output = (output + chunk).slice(-4000);
    });
    const exited = new Promise<number | null>((resolve) => server.once("exit", (code) => resolve(code)));
    const base = `http://127.0.0.1:${port}`;
    await waitUntilReady(`${base}/ready`);

    const outcomes: Outcome[] = [];
    let sent = 0;
    let stopSending = false;
    const worker = async () => {
      while (!stopSending) {
        const learnerId = `learner-${sent++ % 30}`;
        try {
          const response = await fetch(`${base}/v1/exercises/${EXERCISE}/submissions`, {
            method: "POST",
            headers: { authorization: auth, "content-type": "application/json" },
            body: JSON.stringify({ learnerId, containerName: container }),
          });
          const text = await response.text();
          if (response.status === 201) outcomes.push({ kind: "graded", id: JSON.parse(text).id });
          else outcomes.push({ kind: "draining", status: response.status, body: text });
        } catch (error) {
          const code = String((error as { cause?: { code?: string } }).cause?.code ?? error);
          outcomes.push({ kind: "refused", code });
          if (code === "ECONNREFUSED") return; // the listener is gone: nothing more to send
        }
      }
    };
    const workers = Array.from({ length: CONCURRENCY }, worker);

    while (outcomes.filter((o) => o.kind === "graded").length < 100) await sleep(20);
    server.kill("SIGTERM");
    const exitCode = await exited;
    stopSending = true;
    await Promise.all(workers);

    expect(exitCode, output).toBe(0);
    const graded = outcomes.flatMap((o) => (o.kind === "graded" ? [o.id] : []));
    const refused = outcomes.flatMap((o) => (o.kind === "refused" ? [o.code] : []));
    // Requests that arrive on an open connection while it drains get 503 (Fastify answers those
    // itself, as plain JSON, before any hook runs), and nothing of them is stored.
    for (const o of outcomes) if (o.kind === "draining") expect(`${o.status} ${o.body}`).toMatch(/^503 \{/);
    // Connections refused or closed before a request was accepted are clean failures; nothing else is.
    for (const code of refused) expect(["ECONNREFUSED", "ECONNRESET", "UND_ERR_SOCKET"]).toContain(code);

    // Every acknowledged grade is stored, and nothing else.
    const stored = await db.submission.findMany({
      select: { id: true, clientId: true, learnerId: true, exerciseId: true },
    });
    expect(stored.map((s) => s.id).sort()).toEqual([...graded].sort());

    // Progress counts each stored submission exactly once.
    const perPair = new Map<string, number>();
    for (const s of stored) {
      const key = `${s.clientId}/${s.learnerId}/${s.exerciseId}`;
      perPair.set(key, (perPair.get(key) ?? 0) + 1);
    }
    const progress = await db.exerciseProgress.findMany();
    expect(progress.length).toBe(perPair.size);
    for (const row of progress) {
      expect(row.attempts, `${row.learnerId}`).toBe(perPair.get(`${row.clientId}/${row.learnerId}/${row.exerciseId}`));
    }
  });
});

async function waitUntilReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the server exited:\n${output}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`the server was not ready within 60 s:\n${output}`);
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
