import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { containerdStoreEngine, docker } from "./learner-shell.js";

/**
 * The lab the suite runs in (scripts/test-lab.sh): today's Docker, as learners have it, on engines
 * that belong to the run, never the developer's default engine.
 */
const run = promisify(execFile);

describe("the tests' lab", () => {
  it("runs in a PID namespace of its own, so nothing the tests start outlives the run", async () => {
    const init = (await readFile("/proc/1/cmdline", "utf8")).split("\0");
    expect(init).toContain("scripts/test-lab.sh");
    expect(init).toContain("--inside");
  });

  it("grades on engines of its own, never the default socket", () => {
    expect(process.env.DOCKER_HOST).toMatch(/^unix:\/\/\/tmp\//);
    expect(containerdStoreEngine()?.host).toMatch(/^unix:\/\/\/tmp\//);
  });

  it("has Engine 26 or newer, Compose v2 and buildx", async () => {
    const server = await docker(["version", "--format", "{{.Server.Version}}"]);
    expect(Number(server.split(".")[0])).toBeGreaterThanOrEqual(26);
    expect(await docker(["compose", "version", "--short"])).toMatch(/^v?2\./);
    expect(await docker(["buildx", "version"])).toMatch(/buildx/);
  });

  it("has one engine on each image store", async () => {
    const driver = (host?: string) => docker(["info", "--format", "{{.Driver}} {{json .DriverStatus}}"], { host });
    expect(await driver()).toMatch(/^overlay2 /);
    expect(await driver(containerdStoreEngine()?.host)).toContain("io.containerd.snapshotter.v1");
  });

  it("builds with BuildKit, whose history says so", { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lab-build-"));
    const tag = `lab-buildkit-${path.basename(dir).slice(-6).toLowerCase()}`;
    try {
      await writeFile(path.join(dir, "Dockerfile"), "FROM alpine:3.20\nRUN echo hola > /hola.txt\n");
      const { stderr } = await run("docker", ["build", "--progress", "plain", "-t", tag, dir]);
      expect(stderr).toMatch(/#\d+ \[2\/2\] RUN echo hola/);
      expect(stderr).not.toMatch(/Sending build context|Step 1\/2/);
      const history = await docker(["history", "--no-trunc", "--format", "{{.Comment}}", tag]);
      expect(history).toContain("buildkit.dockerfile.v0");
    } finally {
      await docker(["rmi", tag]).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    }
  });
});
