import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exitCode, listeningAddress, startServer } from "./server-process.js";

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
