import { randomBytes } from "node:crypto";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { buildTestApp, createTestClient, createTestDatabase, type TestDatabase, testConfig } from "../helper.js";
import { exitCode, listeningAddress, startServer } from "../server-process.js";

/**
 * Issue 21: a wrong SECRETS_KEY was accepted at start-up, and TLS labs, deep linking and LRS pushes
 * failed later with 500. The key is now checked against a canary sealed in the database.
 */
const MISMATCH = "SECRETS_KEY does not match the one that sealed this database's secrets";
const keyA = randomBytes(32).toString("hex");
const keyB = randomBytes(32).toString("hex");

let database: TestDatabase | undefined;
afterEach(async () => {
  await database?.drop();
  database = undefined;
});

async function canaries(url: string): Promise<number> {
  const app = await buildApp(testConfig(url), { logger: false });
  try {
    const [row] = await app.storage.prisma.$queryRaw<
      { count: bigint }[]
    >`SELECT count(*) AS count FROM secrets_key_canary`;
    return Number(row?.count);
  } finally {
    await app.close();
  }
}

describe("SECRETS_KEY at start-up", () => {
  it("seals a canary with the first key; another key stops start-up with one line; the first key starts again", async () => {
    database = await createTestDatabase();
    const start = (key: string) => startServer({ DATABASE_URL: database?.url ?? "", SECRETS_KEY: key });

    // A database without any sealed secret and no canary accepts any key, and seals the canary.
    const first = start(keyA);
    try {
      const url = await listeningAddress(first.output);
      await request(url).get("/ready").expect(200);
    } finally {
      first.child.kill("SIGTERM");
      expect(await exitCode(first.child)).toBe(0);
    }

    const wrong = start(keyB);
    const outcome = await Promise.race([
      exitCode(wrong.child).then((code) => `exited with ${code}`),
      listeningAddress(wrong.output).then(() => "listening"),
    ]);
    if (outcome === "listening") wrong.child.kill("SIGTERM");
    expect(outcome).toBe("exited with 1");
    const fatal = wrong
      .output()
      .split("\n")
      .filter((line) => line.includes('"level":60'));
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toContain(MISMATCH);
    expect(await canaries(database.url)).toBe(1);

    const again = start(keyA);
    try {
      const url = await listeningAddress(again.output);
      await request(url).get("/ready").expect(200);
    } finally {
      again.child.kill("SIGTERM");
      expect(await exitCode(again.child)).toBe(0);
    }
  }, 300_000);

  it("on a database from before the canary, checks the key against the secrets sealed there", async () => {
    const before = await buildTestApp({ secretsKey: Buffer.from(keyA, "hex") });
    try {
      const lms = await createTestClient(before.prisma, ["webhooks:manage"]);
      await request(before.app.server)
        .post("/v1/webhooks")
        .set("authorization", lms.auth)
        .send({ url: "http://127.0.0.1:9/hook", events: ["submission.graded"] })
        .expect(201);
      await before.app.close();
      // What a database that has sealed secrets but predates the canary looks like.
      await before.prisma.$executeRaw`DELETE FROM secrets_key_canary`;

      const withB = await buildApp(testConfig(before.databaseUrl, { secretsKey: Buffer.from(keyB, "hex") }));
      await expect(withB.ready()).rejects.toThrow(MISMATCH);
      await withB.close();
      expect(await canaries(before.databaseUrl)).toBe(0);

      const withA = await buildApp(testConfig(before.databaseUrl, { secretsKey: Buffer.from(keyA, "hex") }));
      await withA.ready();
      await withA.close();
      expect(await canaries(before.databaseUrl)).toBe(1);
    } finally {
      await before.close();
    }
  });
});
