import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createHostedSandboxProvider } from "../../src/sandbox/sandbox-provider.js";
import { run, runLessonContainer, type SandboxHostFixture, startSandboxHost } from "./sandbox-host-fixture.js";

// Reaping leaves nothing: users, subordinate ids, cgroups, processes, mounts, loop devices, files and
// iptables rules are counted before the first sandbox and after the last one is reaped.

let host: SandboxHostFixture;

async function lines(file: string, pattern: RegExp): Promise<number> {
  return (await readFile(file, "utf8").catch(() => "")).split("\n").filter((line) => pattern.test(line)).length;
}

async function footprint() {
  const prefix = host.prefix;
  const cgroupDirs = (
    await Promise.all(
      (
        await readdir("/sys/fs/cgroup")
      ).map(
        async (controller) =>
          (
            await readdir(path.join("/sys/fs/cgroup", controller, prefix), { withFileTypes: true }).catch(() => [])
          ).filter((entry) => entry.isDirectory()).length,
      ),
    )
  ).reduce((a, b) => a + b, 0);
  const sandboxUids = new Set(
    (await readFile("/etc/passwd", "utf8"))
      .split("\n")
      .filter((line) => line.startsWith(`${prefix}-`))
      .map((line) => line.split(":")[2]),
  );
  let processes = 0;
  for (const pid of (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry))) {
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    const uid = status.match(/^Uid:\s+(\d+)/m)?.[1];
    if (uid && sandboxUids.has(uid)) processes++;
  }
  const rules = `${(await run("iptables-save")).stdout}${(await run("ip6tables-save")).stdout}`;
  const ofThisHost = (line: string) => line.includes(host.stateDir) || line.includes(host.runDir);
  return {
    users: await lines("/etc/passwd", new RegExp(`^${prefix}-`)),
    subordinateIds:
      (await lines("/etc/subuid", new RegExp(`^${prefix}-`))) + (await lines("/etc/subgid", new RegExp(`^${prefix}-`))),
    cgroups: cgroupDirs,
    processes,
    // Loop devices and mounts are the machine's: only this host's count, since other test files run
    // sandbox hosts of their own at the same time.
    mounts: (await readFile("/proc/self/mountinfo", "utf8")).split("\n").filter(ofThisHost).length,
    loopDevices: (await run("losetup", ["-a"])).stdout.split("\n").filter(ofThisHost).length,
    files: (await readdir(path.join(host.stateDir, "sandboxes"))).length + (await readdir(host.runDir)).length,
    iptablesRules: rules.split("\n").filter((line) => line.includes(`${prefix}:`)).length,
  };
}

beforeAll(async () => {
  host = await startSandboxHost({ max: 3 });
}, 120_000);

afterAll(async () => {
  await host?.close();
}, 120_000);

it("reaps idle and too old sandboxes, and the warm pool on close, leaving nothing behind", async () => {
  const before = await footprint();
  let clock = Date.now();
  const provider = createHostedSandboxProvider({
    host: host.client,
    settings: { warmPool: 1, max: 3, idleMs: 60_000, maxAgeMs: 600_000 },
    log: () => undefined,
    now: () => clock,
  });
  await provider.start();

  const idle = (await provider.acquire({ clientId: "c", learnerId: "idle" })).sandbox;
  const old = (await provider.acquire({ clientId: "c", learnerId: "old" })).sandbox;
  await runLessonContainer(idle.engineSocket);
  const during = await footprint();
  expect(during.users).toBeGreaterThanOrEqual(2);
  expect(during.processes).toBeGreaterThan(0);
  expect(during.iptablesRules).toBeGreaterThan(0);
  expect(during.cgroups).toBeGreaterThan(before.cgroups);
  expect(during.loopDevices, "each running sandbox's disk image is on a loop device").toBeGreaterThanOrEqual(2);

  // "old" is used every half idle time, so only its maximum age can end it; "idle" is never used again.
  for (let elapsed = 0; elapsed < 660_000; elapsed += 30_000) {
    clock += 30_000;
    provider.touch({ clientId: "c", learnerId: "old" });
    await provider.sweep();
    if (elapsed === 60_000) {
      expect(provider.find({ clientId: "c", learnerId: "idle" })).toBeUndefined();
      expect(provider.find({ clientId: "c", learnerId: "old" })).toBeDefined();
    }
  }
  expect(provider.find({ clientId: "c", learnerId: "old" })).toBeUndefined();
  expect((await host.client.list()).map((made) => made.id)).not.toContain(old.id);

  await provider.close();
  expect(await host.client.list()).toEqual([]);
  expect(await footprint()).toEqual(before);
}, 300_000);
