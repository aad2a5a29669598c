import { randomBytes } from "node:crypto";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { open } from "../../src/labs/secret-box.js";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { type SecondEngine, startSecondEngine } from "../docker/second-engine.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";

/**
 * Per-learner engines, for real: a second Docker daemon of this test's own beside the shared one.
 * The same container name lives on both, in different states, and grades differently per learner.
 */
let engine: SecondEngine;
let t: TestApp;
let lms: { id: string; auth: string };
const secretsKey = randomBytes(32);
const name = `alpine-una-vez-${uniqueSuffix()}`;
const PEM = (label: string) =>
  `-----BEGIN ${label}-----\nMIIB${randomBytes(24).toString("base64")}\n-----END ${label}-----\n`;

beforeAll(async () => {
  engine = await startSecondEngine({ images: ["alpine"] });
  t = await buildTestApp({
    labEngineAllowlist: [engine.host, "tcp://127.0.0.1:*"],
    secretsKey,
  });
  lms = await createTestClient(t.prisma, ["submissions:write", "progress:read", "engine:shared"]);
  await docker(["run", "--name", name, "alpine"]); // default engine: exited 0, a pass
  await docker(["run", "--name", name, "alpine", "sh", "-c", "exit 3"], { host: engine.host }).catch(() => {}); // lab: exit 3
}, 120_000);
afterAll(async () => {
  await docker(["rm", "-f", name]).catch(() => {});
  await t?.close();
  await engine?.dispose();
});

const putLab = (learnerId: string, body: Record<string, unknown>, auth = lms.auth) =>
  request(t.app.server).put(`/v1/learners/${learnerId}/lab`).set("authorization", auth).send(body);
const submit = (learnerId: string) =>
  request(t.app.server)
    .post("/v1/exercises/alpine-una-vez/submissions")
    .set("authorization", lms.auth)
    .send({ learnerId, containerName: name });

describe("a learner with a lab", () => {
  it("is graded on their own engine, while others use the default one", async () => {
    const lab = await putLab("lab-ana", { engineUrl: engine.host }).expect(200);
    expect(lab.body).toMatchObject({ learnerId: "lab-ana", engineUrl: engine.host, tls: false });

    const onLab = await submit("lab-ana").expect(201);
    const onDefault = await submit("lab-bea").expect(201);
    expect(onDefault.body.status).toBe("passed");
    expect(onLab.body.status).toBe("failed");
    const exitCode = onLab.body.checks.find(
      (c: { id: string; actual: string | null }) => c.id !== "existe" && /3/.test(c.actual ?? ""),
    );
    expect(exitCode, JSON.stringify(onLab.body.checks)).toBeDefined();

    await request(t.app.server).delete("/v1/learners/lab-ana/lab").set("authorization", lms.auth).expect(204);
    expect((await submit("lab-ana").expect(201)).body.status).toBe("passed");
  });

  it("answers 503 naming the lab's engine when it is down, and stores nothing", async () => {
    await putLab("lab-caida", { engineUrl: engine.host.replace("docker.sock", "missing.sock") }).expect(422);
    const dir = engine.host.slice("unix://".length, -"/docker.sock".length);
    // Allowed by prefix in a second app; nothing listens there.
    const other = await buildTestApp({
      labEngineAllowlist: [`unix://${dir}/*`],
      docker: { ...t.app.config.docker, timeoutMs: 1000 },
    });
    try {
      await request(other.app.server)
        .put("/v1/learners/lab-caida/lab")
        .set("authorization", other.auth)
        .send({ engineUrl: `unix://${dir}/nobody-here.sock` })
        .expect(200);
      const response = await request(other.app.server)
        .post("/v1/exercises/alpine-una-vez/submissions")
        .set("authorization", other.auth)
        .send({ learnerId: "lab-caida", containerName: name })
        .expect(503);
      expect(response.body.detail).toContain("nobody-here.sock");
      expect(await other.prisma.submission.count()).toBe(0);
    } finally {
      await other.close();
    }
  });
});

describe("engine URLs are checked against the allowlist", () => {
  it.each([
    ["the shared engine's socket", "unix:///var/run/docker.sock"],
    ["a metadata service", "tcp://169.254.169.254:80"],
    ["a path that climbs out of an allowed prefix", "unix:///tmp/../var/run/docker.sock"],
    ["another host", "tcp://10.0.0.1:2375"],
    ["an http URL", "http://127.0.0.1:2375"],
  ])("refuses %s and stores nothing", async (_label, engineUrl) => {
    const response = await putLab("ssrf", { engineUrl });
    expect([400, 422]).toContain(response.status);
    expect(await t.prisma.learnerLab.count({ where: { learnerId: "ssrf" } })).toBe(0);
  });
});

describe("socket paths under an allowed prefix", () => {
  it("must be normalized: `..`, `.` and percent-encoded dots are a 400 naming body.engineUrl", async () => {
    const prefixed = await buildTestApp({ labEngineAllowlist: ["unix:///run/labs/*"] });
    try {
      const put = (engineUrl: string) =>
        request(prefixed.app.server)
          .put("/v1/learners/prefix/lab")
          .set("authorization", prefixed.auth)
          .send({ engineUrl });
      for (const engineUrl of [
        "unix:///run/labs/%2e%2e/%2e%2e/var/run/docker.sock",
        "unix:///run/labs/%2E%2E/docker.sock",
        "unix:///run/labs/../../var/run/docker.sock",
        "unix:///run/labs/./4242/docker.sock",
      ]) {
        const response = await put(engineUrl).expect(400);
        expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
        expect(response.body.errors[0].path, engineUrl).toBe("body.engineUrl");
        expect(response.body.errors[0].message).toMatch(/normalized/);
      }
      expect(await prefixed.prisma.learnerLab.count()).toBe(0);
      // The prefix itself is allowed: the refusals above are about the path, not the allowlist.
      await put("unix:///run/labs/4242/docker.sock").expect(200);
    } finally {
      await prefixed.close();
    }
  });
});

describe("TLS material", () => {
  it("is stored with the key encrypted under SECRETS_KEY, and never returned", async () => {
    const key = PEM("PRIVATE KEY");
    const lab = await putLab("lab-tls", {
      engineUrl: "tcp://127.0.0.1:2376",
      tls: { ca: PEM("CERTIFICATE"), cert: PEM("CERTIFICATE"), key },
    }).expect(200);
    expect(lab.body.tls).toBe(true);
    expect(JSON.stringify(lab.body)).not.toContain("PRIVATE KEY");
    const row = await t.prisma.learnerLab.findUniqueOrThrow({
      where: { clientId_learnerId: { clientId: lms.id, learnerId: "lab-tls" } },
    });
    expect(row.tlsKeyEncrypted).not.toContain("PRIVATE KEY");
    expect(open(secretsKey, row.tlsKeyEncrypted ?? "")).toBe(key);
    expect(() => open(randomBytes(32), row.tlsKeyEncrypted ?? "")).toThrow();
    const read = await request(t.app.server).get("/v1/learners/lab-tls/lab").set("authorization", lms.auth).expect(200);
    expect(JSON.stringify(read.body)).not.toContain("BEGIN");
  });

  it("is refused without SECRETS_KEY, and on unix sockets", async () => {
    const keyless = await buildTestApp({ labEngineAllowlist: ["tcp://127.0.0.1:*"], secretsKey: undefined });
    try {
      const response = await request(keyless.app.server)
        .put("/v1/learners/x/lab")
        .set("authorization", keyless.auth)
        .send({ engineUrl: "tcp://127.0.0.1:2376", tls: { cert: PEM("CERTIFICATE"), key: PEM("PRIVATE KEY") } });
      expect(response.status).toBe(422);
      expect(response.body.detail).toContain("SECRETS_KEY");
    } finally {
      await keyless.close();
    }
    await putLab("lab-unix-tls", {
      engineUrl: engine.host,
      tls: { cert: PEM("CERTIFICATE"), key: PEM("PRIVATE KEY") },
    }).expect(422);
  });
});

describe("isolation", () => {
  it("another client cannot read, change or remove a learner's lab", async () => {
    await putLab("lab-dana", { engineUrl: engine.host }).expect(200);
    const other = await createTestClient(t.prisma, ["submissions:write", "progress:read"]);
    await request(t.app.server).get("/v1/learners/lab-dana/lab").set("authorization", other.auth).expect(404);
    await request(t.app.server).delete("/v1/learners/lab-dana/lab").set("authorization", other.auth).expect(404);
    await putLab("lab-dana", { engineUrl: "tcp://127.0.0.1:2376" }, other.auth).expect(200); // their own lab-dana
    const mine = await request(t.app.server)
      .get("/v1/learners/lab-dana/lab")
      .set("authorization", lms.auth)
      .expect(200);
    expect(mine.body.engineUrl).toBe(engine.host);
    await request(t.app.server).put("/v1/learners/lab-dana/lab").send({ engineUrl: engine.host }).expect(401);
    const reader = await createTestClient(t.prisma, ["progress:read"]);
    expect((await putLab("lab-dana", { engineUrl: engine.host }, reader.auth)).status).toBe(403);
  });
});
