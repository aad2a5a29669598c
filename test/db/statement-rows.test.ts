import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createPool, createSqlPool, NO_ROWS, type SqlPool, statement } from "../../src/db/sql.js";
import { createTestDatabase, type TestDatabase } from "../helper.js";

let database: TestDatabase;
let sql: SqlPool;

beforeAll(async () => {
  database = await createTestDatabase();
  sql = createSqlPool(createPool(database.url));
});

afterAll(async () => {
  await sql?.pool.end();
  await database?.drop();
});

const typesAsPgReturnsThem = statement<[at: string]>()(
  "test-types-as-pg-returns-them",
  "SELECT $1::timestamptz AS at, 9007199254740993::bigint AS big, 1.5::numeric AS ratio, 2::int AS small",
  z.object({ at: z.date(), big: z.string(), ratio: z.string(), small: z.number() }),
);

const misdescribed = statement<[]>()(
  "test-misdescribed-row",
  "SELECT 1::bigint AS count",
  z.object({ count: z.number() }),
);

const answersWhenItShouldNot = statement<[]>()("test-answers-a-row", "SELECT 1 AS one", NO_ROWS);

describe("a statement's rows", () => {
  it("come back as its schema describes them, the column types pg returns unconverted", async () => {
    const rows = await sql.rows(typesAsPgReturnsThem, ["2026-12-07T04:00:00.000Z"]);
    expect(rows).toEqual([
      { at: new Date("2026-12-07T04:00:00.000Z"), big: "9007199254740993", ratio: "1.5", small: 2 },
    ]);
  });

  it("throw an error naming the statement when a row is not what its schema says, in a transaction too", async () => {
    await expect(sql.rows(misdescribed, [])).rejects.toThrow(
      /"test-misdescribed-row".*expected number, received string.*at count/s,
    );
    await expect(sql.transaction((tx) => tx.rows(misdescribed, []))).rejects.toThrow(/"test-misdescribed-row"/);
    await expect(sql.rows(answersWhenItShouldNot, [])).rejects.toThrow(/"test-answers-a-row"/);
  });
});
