import request from "supertest";
import { expect } from "vitest";
import type { TestApp } from "../helper.js";
import { createTestClient } from "../helper.js";

const admins = new WeakMap<TestApp, Promise<string>>();

/**
 * Registers an engine to one API client as an admin does (POST /v1/lab-engines), through an admin
 * client made once per app: a client's learners can only be bound to engines registered to it.
 * With `status`, the answer must have it.
 */
export async function registerLabEngine(t: TestApp, clientId: string, engineUrl: string, status?: number) {
  let admin = admins.get(t);
  if (!admin) {
    admin = createTestClient(t.prisma, ["admin"], "lab admin").then((client) => client.auth);
    admins.set(t, admin);
  }
  const response = await request(t.app.server)
    .post("/v1/lab-engines")
    .set("authorization", await admin)
    .send({ clientId, engineUrl });
  if (status !== undefined) expect(response.status, response.text).toBe(status);
  return response;
}
