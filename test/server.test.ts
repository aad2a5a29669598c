import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exitCode, listeningAddress, startServer } from "./server-process.js";

const run = promisify(execFile);

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

    // The README's first step: an admin key made on the embedded database the running server holds.
    const created = await run("npm", ["run", "--silent", "client:create", "--", "--name", "ops", "--scopes", "admin"], {
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "" },
      timeout: 60_000,
    });
    expect(created.stdout).toContain("already running");
    const key = created.stdout.trim().split("\n").at(-1) ?? "";
    await request(url).get("/v1/clients").set("authorization", `Bearer ${key}`).expect(200);

    first.child.kill("SIGTERM");
    expect(await exitCode(first.child)).toBe(0);
    expect(first.output()).toContain("embedded PostgreSQL stopped");

    const second = startServer({ DATA_DIR: dataDir });
    try {
      const secondUrl = await listeningAddress(second.output);
      await request(secondUrl).get("/ready").expect(200);
      expect(second.output()).not.toContain("initialising embedded PostgreSQL");
      expect(second.output()).toContain("database schema is up to date");
      await request(secondUrl).get("/v1/clients").set("authorization", `Bearer ${key}`).expect(200);
    } finally {
      second.child.kill("SIGTERM");
      expect(await exitCode(second.child)).toBe(0);
    }
  }, 240_000);

  it("in a terminal, says in a few lines where it serves and leaves the sign-in link last", async () => {
    // `script` gives the server a real terminal, as a learner's `npm start` has.
    const child = spawn("script", ["-qefc", `${process.execPath} --import tsx src/server.ts`, "/dev/null"], {
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "", PORT: "0", LOG_LEVEL: "", LOG_FORMAT: "" },
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString().replaceAll("\r", "");
    });
    try {
      await expect.poll(() => output, { timeout: 100_000 }).toMatch(/signs you in\):\n +http:\S+\n/);
      const url = /serving the course at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? "";
      expect(output).toMatch(/ {2}database +embedded PostgreSQL, data in \S+postgres\n {2}docker +\S/);
      expect(output).toContain("warnings and errors only; LOG_LEVEL=info shows every request");
      await request(url).get("/v1/lessons").expect(200);
      await request(url).get("/no-such-page").expect(404);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    // Everything the server wrote until it stopped: no line per request, nothing after the link.
    expect(output).not.toMatch(/incoming request|request completed|Server listening/);
    expect(output.trimEnd()).toMatch(/signs you in\):\n +http:\/\/\S+\/session\?token=ads_\S+$/);
  }, 240_000);

  it("refuses to start with a bad PORT and says why", async () => {
    const server = startServer({ DATA_DIR: dataDir, PORT: "eighty" });
    expect(await exitCode(server.child)).not.toBe(0);
    expect(server.output()).toMatch(/PORT="eighty": .*number/);
  });
});
