import { randomBytes } from "node:crypto";
import { mkdtemp, realpath, rm, symlink } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import os from "node:os";
import path from "node:path";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { open } from "../../src/crypto/secret-box.js";
import { LabEngineTaken } from "../../src/errors/domain-errors.js";
import { registerServiceLab } from "../../src/labs/learner-labs.js";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { type SecondEngine, startSecondEngine } from "../docker/second-engine.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import { registerLabEngine } from "../support/lab-engines.js";

/**
 * Per-learner engines, for real: a second Docker daemon of this test's own beside the shared one.
 * The same container name lives on both, in different states, and grades differently per learner.
 * The second engine is registered to one client, `lms`; a folder of links (`links`) is allowlisted too.
 */
let engine: SecondEngine;
let t: TestApp;
let lms: { id: string; auth: string };
/** An allowlisted folder where another client plants symlinks; `outside` is a folder the allowlist does not name. */
let links: string;
let outside: string;
const sockets: Server[] = [];
const secretsKey = randomBytes(32);
const name = `alpine-una-vez-${uniqueSuffix()}`;
const PEM = (label: string) =>
  `-----BEGIN ${label}-----\nMIIB${randomBytes(24).toString("base64")}\n-----END ${label}-----\n`;

beforeAll(async () => {
  engine = await startSecondEngine({ images: ["alpine"] });
  links = await mkdtemp(path.join(os.tmpdir(), "lab-links-"));
  outside = await mkdtemp(path.join(os.tmpdir(), "lab-outside-"));
  t = await buildTestApp({
    labEngineAllowlist: [engine.host, `unix://${links}/*`, "tcp://127.0.0.1:*"],
    secretsKey,
  });
  lms = await createTestClient(t.prisma, ["submissions:write", "progress:read", "engine:shared"]);
  await registerLabEngine(t, lms.id, engine.host, 201);
  await registerLabEngine(t, lms.id, "tcp://127.0.0.1:2376", 201);
  await docker(["run", "--name", name, "alpine"]); // default engine: exited 0, a pass
  await docker(["run", "--name", name, "alpine", "sh", "-c", "exit 3"], { host: engine.host }).catch(() => {}); // lab: exit 3
}, 120_000);
afterAll(async () => {
  await docker(["rm", "-f", name]).catch(() => {});
  await t?.close();
  await engine?.dispose();
  for (const server of sockets) await new Promise((resolve) => server.close(resolve));
  for (const dir of [links, outside]) if (dir) await rm(dir, { recursive: true, force: true });
});

const putLab = (learnerId: string, body: Record<string, unknown>, auth = lms.auth) =>
  request(t.app.server).put(`/v1/learners/${learnerId}/lab`).set("authorization", auth).send(body);
const submit = (learnerId: string, auth = lms.auth) =>
  request(t.app.server)
    .post("/v1/exercises/alpine-una-vez/submissions")
    .set("authorization", auth)
    .send({ learnerId, containerName: name });

describe("a learner with a lab", () => {
  it("is graded on their own engine, while others use the default one", async () => {
    const lab = await putLab("lab-ana", { engineUrl: engine.host }).expect(200);
    expect(lab.body).toMatchObject({ learnerId: "lab-ana", engineUrl: engine.host, tls: false });
    expect((await putLab("lab-ana", { engineId: lab.body.engineId }).expect(200)).body.engineUrl).toBe(engine.host);

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
      await registerLabEngine(other, other.clientId, `unix://${dir}/nobody-here.sock`, 201);
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

describe("a lab engine belongs to one API client", () => {
  let intruder: { id: string; auth: string };
  let ownEngineId: string;
  const socketOf = (url: string) => url.slice("unix://".length);
  const sharedEngineSocket = () => socketOf(t.app.config.docker.host ?? "unix:///var/run/docker.sock");
  const expectRefusal = (response: request.Response, status: number, field: string) => {
    expect(response.status, response.text).toBe(status);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.body.errors?.[0]?.path, response.text).toBe(field);
  };

  beforeAll(async () => {
    intruder = await createTestClient(t.prisma, ["submissions:write", "progress:read"], "intruder");
    ownEngineId = (await putLab("lab-owner", { engineUrl: engine.host }).expect(200)).body.engineId;
    await symlink(socketOf(engine.host), path.join(links, "a-l1.sock"));
    await symlink(sharedEngineSocket(), path.join(links, "docker.sock"));
  });

  it.each([
    ["naming its URL", () => ({ engineUrl: engine.host }), 422, "body.engineUrl"],
    ["a symlink to its socket", () => ({ engineUrl: `unix://${links}/a-l1.sock` }), 422, "body.engineUrl"],
    [
      "a symlink to the shared engine's socket",
      () => ({ engineUrl: `unix://${links}/docker.sock` }),
      422,
      "body.engineUrl",
    ],
    [
      "a `..` variant",
      () => ({ engineUrl: `unix://${links}/../${path.basename(path.dirname(socketOf(engine.host)))}/docker.sock` }),
      400,
      "body.engineUrl",
    ],
    [
      "a `//` variant",
      () => ({ engineUrl: engine.host.replace(/\/docker\.sock$/, "//docker.sock") }),
      400,
      "body.engineUrl",
    ],
    ["its id", () => ({ engineId: ownEngineId }), 422, "body.engineId"],
  ])(
    "another client cannot bind a learner to it by %s, and grades nothing there",
    async (_label, body, status, field) => {
      expectRefusal(await putLab("intruder-l1", body(), intruder.auth), status, field);
      expect(await t.prisma.learnerLab.count({ where: { clientId: intruder.id } })).toBe(0);
      // Without a lab, and without engine:shared, the intruder's learner is graded on no engine at all.
      await submit("intruder-l1", intruder.auth).expect(403);
      expect(await t.prisma.submission.count({ where: { clientId: intruder.id } })).toBe(0);
    },
  );

  it("is never registered to a second client, under any spelling, and the database holds that too", async () => {
    for (const engineUrl of [engine.host, `unix://${links}/a-l1.sock`]) {
      expectRefusal(await registerLabEngine(t, intruder.id, engineUrl), 409, "body.engineUrl");
    }
    expectRefusal(await registerLabEngine(t, intruder.id, "tcp://127.0.0.1:02376"), 409, "body.engineUrl");
    await expect(
      t.prisma.labEngine.create({ data: { clientId: intruder.id, engineUrl: engine.host } }),
    ).rejects.toThrow();
    await t.prisma.learner.create({ data: { clientId: intruder.id, id: "intruder-db" } });
    await expect(
      t.prisma.learnerLab.create({ data: { clientId: intruder.id, learnerId: "intruder-db", engineId: ownEngineId } }),
    ).rejects.toThrow();
  });

  it("refuses a symlink under the allowlisted folder to a real socket outside it, naming the field", async () => {
    const elsewhere = createServer();
    sockets.push(elsewhere);
    await new Promise<void>((resolve) => elsewhere.listen(path.join(outside, "real.sock"), resolve));
    await symlink(path.join(outside, "real.sock"), path.join(links, "outside.sock"));
    const url = `unix://${links}/outside.sock`;

    const registered = await registerLabEngine(t, lms.id, url);
    expectRefusal(registered, 422, "body.engineUrl");
    expect(registered.body.detail).toContain(await realpath(path.join(outside, "real.sock")));
    expectRefusal(await putLab("lab-outside", { engineUrl: url }), 422, "body.engineUrl");
    expect(await t.prisma.labEngine.count({ where: { engineUrl: { contains: outside } } })).toBe(0);
  });

  it("is resolved again at connect: a registered path that becomes a symlink to the shared engine grades nowhere", async () => {
    const later = path.join(links, "later.sock");
    await registerLabEngine(t, lms.id, `unix://${later}`, 201);
    await putLab("lab-later", { engineUrl: `unix://${later}` }).expect(200);
    await symlink(sharedEngineSocket(), later);

    const response = await submit("lab-later").expect(422);
    expect(response.body.detail).toContain("now resolves to");
    expect(await t.prisma.submission.count({ where: { learnerId: "lab-later" } })).toBe(0);
  });

  it("can be made by the service for a learner (registerServiceLab), and is then that client's alone", async () => {
    const lab = await registerServiceLab(t.prisma, { clientId: lms.id, learnerId: "svc-ana", engineUrl: engine.host });
    expect(lab).toMatchObject({ learnerId: "svc-ana", engineId: ownEngineId, engineUrl: engine.host });
    expect((await submit("svc-ana").expect(201)).body.status).toBe("failed"); // graded on the lab: exit 3

    const made = `unix://${outside}/sandbox-1.sock`; // the service's own folder need not be allowlisted
    const service = await registerServiceLab(t.prisma, { clientId: lms.id, learnerId: "svc-bea", engineUrl: made });
    const row = await t.prisma.labEngine.findUniqueOrThrow({ where: { id: service.engineId } });
    expect(row).toMatchObject({ clientId: lms.id, origin: "service", engineUrl: made });
    for (const engineUrl of [made, engine.host]) {
      await expect(
        registerServiceLab(t.prisma, { clientId: intruder.id, learnerId: "intruder-l2", engineUrl }),
      ).rejects.toBeInstanceOf(LabEngineTaken);
    }
    expect(await t.prisma.learnerLab.count({ where: { clientId: intruder.id } })).toBe(0);
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
    const registered = "unix:///run/labs/c5e1f0a4/docker.sock";
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
        "unix:///run/labs/./c5e1f0a4/docker.sock",
        "unix:///run/labs//c5e1f0a4/docker.sock",
      ]) {
        const response = await put(engineUrl).expect(400);
        expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
        expect(response.body.errors[0].path, engineUrl).toBe("body.engineUrl");
        expect(response.body.errors[0].message).toMatch(/normalized/);
      }
      expect(await prefixed.prisma.learnerLab.count()).toBe(0);
      // The prefix itself is allowed: the refusals above are about the path, not the allowlist.
      await registerLabEngine(prefixed, prefixed.clientId, registered, 201);
      await put(registered).expect(200);
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
    await registerLabEngine(t, other.id, "tcp://127.0.0.1:2377", 201);
    await putLab("lab-dana", { engineUrl: "tcp://127.0.0.1:2377" }, other.auth).expect(200); // their own lab-dana
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
