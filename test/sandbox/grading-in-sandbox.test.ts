import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostedSandboxProvider } from "../../src/sandbox/sandbox-provider.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import {
  docker,
  runLessonContainer,
  type SandboxHostFixture,
  startProvider,
  startSandboxHost,
} from "./sandbox-host-fixture.js";

// Two learners get sandboxes through the API; one runs the lesson's container in theirs, and the
// exercise passes for them and fails for the other, whose sandbox does not show it.

let host: SandboxHostFixture;
let provider: HostedSandboxProvider;
let t: TestApp;

beforeAll(async () => {
  // An image the lab's engine lacks: the sandboxes still get every other one (alpine, used below).
  host = await startSandboxHost({ max: 2, moreImages: ["aprendiendo-absent:image"] });
  provider = await startProvider(host, 2);
  t = await buildTestApp({}, { sandboxProvider: provider });
}, 120_000);

afterAll(async () => {
  await t?.close();
  await provider?.close();
  await host?.close();
}, 120_000);

const putSandbox = (learnerId: string, auth = t.auth) =>
  request(t.app.server).put(`/v1/learners/${learnerId}/sandbox`).set("authorization", auth);
const submit = (learnerId: string, auth = t.auth) =>
  request(t.app.server)
    .post("/v1/exercises/example2-en-segundo-plano/submissions")
    .set("authorization", auth)
    .send({ learnerId });

describe("grading on a learner's sandbox", () => {
  // On a rootless engine on cgroup v1, `docker top` fails ("unable to get all container pids"), so the
  // process check is answered by the engine adapter's `ps` in the container.
  it("passes for the learner who ran the container in their sandbox, and fails for the other", async () => {
    const ana = await putSandbox("ana").expect(201);
    expect(ana.body).toMatchObject({ learnerId: "ana" });
    await putSandbox("bea").expect(201);
    const again = await putSandbox("ana").expect(200);
    expect(Date.parse(again.body.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(ana.body.lastUsedAt));

    const anas = provider.find({ clientId: t.clientId, learnerId: "ana" });
    const beas = provider.find({ clientId: t.clientId, learnerId: "bea" });
    if (!anas || !beas) throw new Error("both learners should have a sandbox");
    await runLessonContainer(anas.engineSocket);

    const passed = await submit("ana").expect(201);
    expect(passed.body.status, JSON.stringify(passed.body.checks)).toBe("passed");
    const failed = await submit("bea").expect(201);
    expect(failed.body.status).toBe("failed");
    expect((await docker(beas.engineSocket, "ps", "-a", "--format", "{{.Names}}")).stdout).not.toContain("example2");
  }, 120_000);

  it("never grades another client's learner of the same id on that sandbox", async () => {
    const other = await createTestClient(t.prisma, ["submissions:write", "progress:read"], "another LMS");
    const response = await submit("ana", other.auth);
    expect(response.status).toBe(403);
    expect(response.body.type).toMatch(/engine-not-granted$/);
    await request(t.app.server).get("/v1/learners/ana/sandbox").set("authorization", other.auth).expect(404);
  });

  it("answers 503 with Retry-After when every sandbox is in use, and frees one on DELETE", async () => {
    const full = await putSandbox("carla").expect(503);
    expect(full.headers["retry-after"]).toMatch(/^\d+$/);
    expect(full.body).toMatchObject({ reason: "capacity" });
    await request(t.app.server).delete("/v1/learners/bea/sandbox").set("authorization", t.auth).expect(204);
    await request(t.app.server).get("/v1/learners/bea/sandbox").set("authorization", t.auth).expect(404);
    await putSandbox("carla").expect(201);
  }, 120_000);
});
