import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { stat } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findFreePort } from "../../src/runtime/find-free-port.js";
import { createTestDatabase, type TestDatabase } from "../helper.js";
import { waitFor } from "../support/polling.js";

/**
 * The service shipped as a container: the repository's Dockerfile built on the engine (its base
 * image is the offline stand-in from scripts/node-base-image.sh), run as an operator would run it
 * next to a PostgreSQL and the engine's socket, then asked for /ready and for one grading.
 */
const run = promisify(execFile);
const docker = (...args: string[]) => run("docker", args, { maxBuffer: 16 * 1024 * 1024 });
/** The engine's socket, mounted into the service's container: the lab's (scripts/test-lab.sh) or the default. */
const SOCKET = process.env.DOCKER_HOST?.startsWith("unix://")
  ? process.env.DOCKER_HOST.slice("unix://".length)
  : "/var/run/docker.sock";
/**
 * The lab has no route out but a proxy to the npm registry, which the build's `npm ci` needs. Docker
 * passes HTTPS_PROXY to RUN steps without keeping it in the image or its history; the build steps
 * share the lab's network, where the proxy listens on loopback.
 */
const PROXY = process.env.TEST_LAB_EGRESS_PROXY;
const buildNetwork = PROXY ? ["--network", "host", "--build-arg", `HTTPS_PROXY=${PROXY}`] : [];
const IMAGE = "aprendiendo-docker:test";
/** devDependencies that no production dependency pulls in (typescript does: Prisma's peer). */
const DEV_ONLY = ["vitest", "@biomejs/biome", "supertest", "autocannon", "fast-check"];
const suffix = randomBytes(4).toString("hex");
const SERVICE = `aprendiendo-image-test-${suffix}`;
const LEARNER_CONTAINER = `image-test-learner-${suffix}`;

const engineAnswers = await docker("info").then(
  () => true,
  () => false,
);
if (!engineAnswers) console.warn(`container image test skipped: no Docker engine answers on ${SOCKET}`);

let database: TestDatabase;
let url: string;

describe.skipIf(!engineAnswers)("the service's image", () => {
  beforeAll(async () => {
    await docker("image", "inspect", "node:20-bookworm-slim").catch(() => {
      throw new Error("the base image node:20-bookworm-slim is missing: run scripts/node-base-image.sh (as root)");
    });
    // The build context is the repository; the layer cache makes an unchanged rebuild quick.
    await docker("build", "--quiet", ...buildNetwork, "--tag", IMAGE, ".");
    database = await createTestDatabase();
    const port = await findFreePort();
    url = `http://127.0.0.1:${port}`;
    const socketGroup = (await stat(SOCKET)).gid;
    // Host networking: the throw-away PostgreSQL listens on the host's 127.0.0.1, and so does the service.
    await docker(
      "run",
      "--detach",
      "--name",
      SERVICE,
      "--network",
      "host",
      "--env",
      `DATABASE_URL=${database.url}`,
      "--env",
      `PORT=${port}`,
      "--env",
      "HOST=127.0.0.1",
      "--volume",
      `${SOCKET}:/var/run/docker.sock:ro`,
      "--group-add",
      String(socketGroup),
      // The image's own HEALTHCHECK command, probed every second instead of every 30 s.
      "--health-interval",
      "1s",
      IMAGE,
    );
  }, 300_000);

  afterAll(async () => {
    if (!engineAnswers) return;
    const logs = await docker("logs", SERVICE).catch(() => undefined);
    if (process.env.SHOW_CONTAINER_LOGS) console.log(logs?.stdout, logs?.stderr);
    await docker("rm", "--force", SERVICE, LEARNER_CONTAINER).catch(() => {});
    await database?.drop();
  });

  it("runs as a non-root user, with production dependencies only and no native Prisma engine", async () => {
    const { stdout } = await docker(
      "run",
      "--rm",
      "--entrypoint",
      "sh",
      IMAGE,
      "-c",
      `id -u; ls -d ${DEV_ONLY.map((name) => `node_modules/${name}`).join(" ")} 2>/dev/null | wc -l; ` +
        'find / -xdev \\( -name "libquery_engine*" -o -name "query-engine*" -o -name "schema-engine*" \\) 2>/dev/null | wc -l; ' +
        "touch src/x 2>/dev/null && echo writable || echo read-only",
    );
    expect(stdout.trim().split("\n")).toEqual(["1000", "0", "0", "read-only"]);
  });

  it("becomes healthy through its HEALTHCHECK on /ready, with the database and the engine up", {
    timeout: 120_000,
  }, async () => {
    const health = async () => (await docker("inspect", "--format", "{{.State.Health.Status}}", SERVICE)).stdout.trim();
    await waitFor(async () => expect(await health()).toBe("healthy"), "the container's health", 100_000);
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      dependencies: { database: { status: "up" }, docker: { status: "up" } },
    });
  });

  it("grades a learner's container through the mounted engine socket", async () => {
    await docker("run", "--detach", "--name", LEARNER_CONTAINER, "alpine", "tail", "-f", "/dev/null");
    // The README's way to the first key, inside the container: the key is alone on the last line.
    const created = await docker(
      "exec",
      SERVICE,
      "node",
      "--import",
      "tsx",
      "scripts/create-client.ts",
      "--name",
      "image test",
      "--scopes",
      "submissions:write,engine:shared",
    );
    const key = created.stdout.trim().split("\n").at(-1) ?? "";
    expect(key).toMatch(/^adk_/);
    const response = await fetch(`${url}/v1/exercises/example2-en-segundo-plano/submissions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ learnerId: "in-a-container", containerName: LEARNER_CONTAINER }),
    });
    const body = (await response.json()) as { status: string; score: number; maxScore: number };
    expect(response.status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ status: "passed" });
    expect(body.score).toBe(body.maxScore);
  });
});
