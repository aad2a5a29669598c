import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { type SecondEngine, startSecondEngine } from "../docker/second-engine.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";
import { registerLabEngine } from "../support/lab-engines.js";
import { waitFor } from "../support/polling.js";

/**
 * Per-learner engines over tcp with TLS, for real: a second dockerd of this test's own that listens
 * on its unix socket (for setup with the docker CLI) and on tcp://127.0.0.1:2376 with --tlsverify.
 *
 * That dockerd lives in its own network namespace (see second-engine.ts), so its 127.0.0.1 is not
 * the host's. Two byte-forwarders bridge it, without touching TLS (which stays end to end between
 * our client and dockerd): a node process inside the namespace (`nsenter --net`) accepts on a unix
 * socket in the temp folder (paths cross network namespaces) and connects to dockerd's port, and a
 * net server in this process on the host's 127.0.0.1:<free port> pipes to that unix socket.
 */
const exec = promisify(execFile);
const NS_PORT = 2376;
const secretsKey = randomBytes(32);
const name = `example2-tls-${uniqueSuffix()}`;

let dir: string;
let engine: SecondEngine | undefined;
let inside: ChildProcess | undefined;
let outside: net.Server | undefined;
let engineUrl: string;
let t: TestApp;
let lms: { id: string; auth: string };
const pem: Record<string, string> = {};

const openssl = (...args: string[]) => exec("openssl", args, { cwd: dir, timeout: 30_000 });

async function issue(ca: string, subject: string, out: string, ext: string) {
  await openssl(
    "req",
    "-new",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${out}.key`,
    "-subj",
    subject,
    "-out",
    `${out}.csr`,
  );
  await exec("sh", ["-c", `printf '%s\\n' '${ext}' > ${out}.ext`], { cwd: dir });
  // biome-ignore format: one openssl line
  await openssl("x509", "-req", "-in", `${out}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "1", "-extfile", `${out}.ext`, "-out", `${out}.crt`);
}

async function makeCertificates() {
  for (const ca of ["ca", "other-ca"]) {
    // biome-ignore format: one openssl line
    await openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${ca}`, "-keyout", `${ca}.key`, "-out", `${ca}.crt`);
  }
  await issue("ca", "/CN=127.0.0.1", "server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth");
  await issue("ca", "/CN=learner", "client", "extendedKeyUsage=clientAuth");
  await issue("other-ca", "/CN=intruder", "intruder", "extendedKeyUsage=clientAuth");
  for (const file of ["ca.crt", "client.crt", "client.key", "intruder.crt", "intruder.key"]) {
    pem[file] = await readFile(path.join(dir, file), "utf8");
  }
}

async function bridge(dockerdPid: number) {
  const bridgeSocket = path.join(dir, "tls-bridge.sock");
  const forwarder = `
    const net = require("node:net");
    net.createServer((c) => {
      const d = net.connect(${NS_PORT}, "127.0.0.1");
      c.pipe(d).pipe(c);
      c.on("error", () => d.destroy());
      d.on("error", () => c.destroy());
    }).listen(${JSON.stringify(bridgeSocket)});`;
  inside = spawn("nsenter", [`--net=/proc/${dockerdPid}/ns/net`, process.execPath, "-e", forwarder], {
    stdio: "ignore",
  });
  await waitFor(() => stat(bridgeSocket), "the namespace-side forwarder did not listen");
  const server = net.createServer((c) => {
    const d = net.connect(bridgeSocket);
    c.pipe(d).pipe(c);
    c.on("error", () => d.destroy());
    d.on("error", () => c.destroy());
  });
  outside = server;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as net.AddressInfo).port;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "labs-tls-"));
  await makeCertificates();
  engine = await startSecondEngine({
    images: ["alpine"],
    // biome-ignore format: flag pairs
    extraArgs: ["--host", `tcp://127.0.0.1:${NS_PORT}`, "--tlsverify", "--tlscacert", `${dir}/ca.crt`, "--tlscert", `${dir}/server.crt`, "--tlskey", `${dir}/server.key`],
  });
  const engineDir = engine.host.slice("unix://".length, -"/docker.sock".length);
  const pid = Number(await readFile(`${engineDir}/docker.pid`, "utf8"));
  engineUrl = `tcp://127.0.0.1:${await bridge(pid)}`;
  await docker(["run", "--name", name, "-d", "alpine", "tail", "-f", "/dev/null"], { host: engine.host });
  t = await buildTestApp({ labEngineAllowlist: [engineUrl], secretsKey });
  lms = await createTestClient(t.prisma, ["submissions:write", "progress:read", "engine:shared"]);
  await registerLabEngine(t, lms.id, engineUrl, 201);
}, 90_000);

afterAll(async () => {
  await t?.close().catch(() => {});
  outside?.close();
  if (inside?.pid && inside.exitCode === null) inside.kill("SIGTERM");
  await engine?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

const putLab = (learnerId: string, body: Record<string, unknown>) =>
  request(t.app.server).put(`/v1/learners/${learnerId}/lab`).set("authorization", lms.auth).send(body);
const submit = (learnerId: string, auth = lms.auth) =>
  request(t.app.server)
    .post("/v1/exercises/example2-en-segundo-plano/submissions")
    .set("authorization", auth)
    .send({ learnerId, containerName: name });

describe("a lab over tcp with TLS", () => {
  it("grades the learner on their TLS engine, with the key encrypted at rest", async () => {
    const lab = await putLab("tls-ana", {
      engineUrl,
      tls: { ca: pem["ca.crt"], cert: pem["client.crt"], key: pem["client.key"] },
    }).expect(200);
    expect(lab.body).toMatchObject({ learnerId: "tls-ana", engineUrl, tls: true });

    const row = await t.prisma.learnerLab.findUniqueOrThrow({
      where: { clientId_learnerId: { clientId: lms.id, learnerId: "tls-ana" } },
    });
    expect(JSON.stringify(row)).not.toContain("PRIVATE KEY");
    expect(JSON.stringify(row)).not.toContain(pem["client.key"]?.split("\n")[1]);

    const onLab = await submit("tls-ana").expect(201);
    expect(onLab.body.status, JSON.stringify(onLab.body.checks)).toBe("passed");

    // Nobody has this container on the default engine.
    const onDefault = await submit(`tls-bea-${uniqueSuffix()}`).expect(201);
    expect(onDefault.body.status).toBe("failed");
    const exists = onDefault.body.checks.find((c: { id: string }) => c.id === "existe");
    expect(exists?.passed, JSON.stringify(onDefault.body.checks)).toBe(false);
  });

  it("answers 502 engine-refused naming the engine when the client certificate is from another CA, and stores nothing", async () => {
    await putLab("tls-intruso", {
      engineUrl,
      tls: { ca: pem["ca.crt"], cert: pem["intruder.crt"], key: pem["intruder.key"] },
    }).expect(200);
    const response = await submit("tls-intruso").expect(502);
    // Refused in the TLS handshake, not unreachable: the lab's certificate needs fixing, a retry will not do.
    expect(response.body.type).toMatch(/\/engine-refused$/);
    expect(response.body.detail).toMatch(/TLS handshake: a certificate was not accepted/);
    expect(response.body.detail).toContain(engineUrl);
    expect(await t.prisma.submission.count({ where: { learnerId: "tls-intruso" } })).toBe(0);
  });
});
