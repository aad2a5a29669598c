import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The README's run command, as a user runs it: `npm start` is `tsx src/server.ts`. */
function startServer(env: Record<string, string>): { child: ChildProcessWithoutNullStreams; output: () => string } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    env: { ...process.env, DATABASE_URL: "", PORT: "0", LOG_LEVEL: "info", ...env },
  });
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  return { child, output: () => output };
}

async function listeningAddress(output: () => string, timeoutMs = 45_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output());
    if (match?.[1]) return match[1];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not start:\n${output()}`);
}

function exitCode(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

describe("the server process", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "aprendiendo-server-"));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it("starts with no configuration on an embedded database, stops on SIGTERM, and keeps its data", async () => {
    const first = startServer({ DATA_DIR: dataDir });
    const url = await listeningAddress(first.output);
    const ready = await request(url).get("/ready").expect(200);
    expect(ready.body.dependencies.database.status).toBe("up");
    expect(first.output()).toContain("initialising embedded PostgreSQL");

    first.child.kill("SIGTERM");
    expect(await exitCode(first.child)).toBe(0);
    expect(first.output()).toContain("embedded PostgreSQL stopped");

    const second = startServer({ DATA_DIR: dataDir });
    try {
      const secondUrl = await listeningAddress(second.output);
      await request(secondUrl).get("/ready").expect(200);
      expect(second.output()).not.toContain("initialising embedded PostgreSQL");
      expect(second.output()).toContain("database schema is up to date");
    } finally {
      second.child.kill("SIGTERM");
      expect(await exitCode(second.child)).toBe(0);
    }
  }, 120_000);

  it("refuses to start with a bad PORT and says why", async () => {
    const server = startServer({ DATA_DIR: dataDir, PORT: "eighty" });
    expect(await exitCode(server.child)).not.toBe(0);
    expect(server.output()).toMatch(/PORT="eighty": .*number/);
  });
});
