import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prisma } from "../../src/generated/prisma/client.js";
import { buildTestApp, type TestApp } from "../helper.js";

/**
 * The README promises: a key claimed by a request whose replica died answers 409 until 120 s after
 * the claim, then the next retry takes it over. A dead request leaves its claim exactly as a live one
 * does (claimed, no response), so a finished request is turned back into one that died, aged.
 */
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const KEY = "crashed-attempt-1";
const submit = () =>
  request(t.app.server)
    .post("/v1/exercises/alpine-una-vez/submissions")
    .set("authorization", t.auth)
    .set("idempotency-key", KEY)
    .send({ learnerId: "tras-un-fallo" });

async function leaveClaimedSecondsAgo(seconds: number) {
  await t.prisma.idempotencyKey.update({
    where: { clientId_key: { clientId: t.clientId, key: KEY } },
    data: { responseStatus: null, responseBody: Prisma.DbNull, createdAt: new Date(Date.now() - seconds * 1000) },
  });
}

describe("an Idempotency-Key claimed by a request that died", () => {
  it("answers 409 with Retry-After until 120 s after the claim, then a retry grades", async () => {
    expect((await submit()).status).toBe(201);
    await t.prisma.submission.deleteMany({ where: { learnerId: "tras-un-fallo" } });

    await leaveClaimedSecondsAgo(115);
    const busy = await submit();
    expect(busy.status).toBe(409);
    expect(busy.headers["retry-after"]).toBe("1");

    await leaveClaimedSecondsAgo(121);
    const retried = await submit();
    expect(retried.status).toBe(201);
    expect(retried.headers["idempotent-replayed"]).toBeUndefined();
    expect(await t.prisma.submission.count({ where: { learnerId: "tras-un-fallo" } })).toBe(1);
  });
});
