import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostSandbox } from "../../src/sandbox/host-protocol.js";
import { docker, run, type SandboxHostFixture, startSandboxHost } from "./sandbox-host-fixture.js";

// The escape suite: what a learner who is root in a container of their sandbox tries. Each case is
// refused (the engine or the kernel says no) or contained (it runs, and reaches only the sandbox's own).
// Outcomes are logged as "escape: CASE: refused|contained (why)".

const OUTSIDE_NETNS = `escape-outside-${randomBytes(3).toString("hex")}`;
const OUTSIDE_ADDRESS = "10.213.0.2"; // a private address this test assigns to a host of its own
const LAB_SIDE_ADDRESS = "10.213.0.1";
const OUTSIDE_PORT = 8080;

let host: SandboxHostFixture;
let mine: HostSandbox;
let other: HostSandbox;
let hostPort: number;
const hostServer = net.createServer((socket) => {
  socket.on("error", () => undefined);
  socket.end("host-service\n");
});
const canary = `/tmp/escape-canary-${randomBytes(4).toString("hex")}`;
let outsideServer: ReturnType<typeof import("node:child_process").spawn> | undefined;

const say = (name: string, outcome: "refused" | "contained", why: string) =>
  console.log(`escape: ${name}: ${outcome} (${why})`);
const inMine = (...args: string[]) => docker(mine.engineSocket, ...args);
const connects = (address: string, port: number) =>
  inMine("run", "--rm", "alpine", "sh", "-c", `nc -w 3 ${address} ${port} </dev/null`);

function reachableFromHere(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port, timeout: 3000 }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
    socket.on("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function cgroupValue(sandbox: HostSandbox, controller: string, file: string): Promise<string> {
  return (await readFile(`/sys/fs/cgroup/${controller}/${host.prefix}/${sandbox.id}/${file}`, "utf8")).trim();
}

beforeAll(async () => {
  await writeFile(canary, "host secret\n", { mode: 0o644 });
  await new Promise<void>((resolve) => hostServer.listen(0, "127.0.0.1", resolve));
  hostPort = (hostServer.address() as net.AddressInfo).port;
  // The outside world's stand-in: a netns of this test's own, joined by a veth pair on private addresses.
  await run("ip", ["netns", "add", OUTSIDE_NETNS]);
  await run("ip", [
    "link",
    "add",
    `${OUTSIDE_NETNS.slice(-6)}a`,
    "type",
    "veth",
    "peer",
    "name",
    "eth-out",
    "netns",
    OUTSIDE_NETNS,
  ]);
  await run("ip", ["addr", "add", `${LAB_SIDE_ADDRESS}/30`, "dev", `${OUTSIDE_NETNS.slice(-6)}a`]);
  await run("ip", ["link", "set", `${OUTSIDE_NETNS.slice(-6)}a`, "up"]);
  await run("ip", ["netns", "exec", OUTSIDE_NETNS, "ip", "addr", "add", `${OUTSIDE_ADDRESS}/30`, "dev", "eth-out"]);
  await run("ip", ["netns", "exec", OUTSIDE_NETNS, "ip", "link", "set", "eth-out", "up"]);
  const { spawn } = await import("node:child_process");
  outsideServer = spawn(
    "ip",
    [
      "netns",
      "exec",
      OUTSIDE_NETNS,
      "python3",
      "-c",
      `import socket\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("${OUTSIDE_ADDRESS}", ${OUTSIDE_PORT})); s.listen(8); print("ready", flush=True)\nwhile True:\n  c,_=s.accept(); c.sendall(b"outside\\n"); c.close()`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve) => outsideServer?.stdout?.once("data", () => resolve()));

  host = await startSandboxHost({ max: 2, memoryMib: 512, pids: 256, diskMib: 1024 });
  [mine, other] = await Promise.all([host.client.create(), host.client.create()]);
}, 240_000);

afterAll(async () => {
  outsideServer?.kill();
  await host?.close();
  await run("ip", ["netns", "del", OUTSIDE_NETNS]).catch(() => undefined);
  await new Promise((resolve) => hostServer.close(resolve));
  await rm(canary, { force: true });
}, 120_000);

describe("a learner who is root in a container of their sandbox", () => {
  it("sees only the sandbox's own mount root through -v /:/host", async () => {
    const listing = await inMine(
      "run",
      "--rm",
      "-v",
      "/:/host",
      "alpine",
      "sh",
      "-c",
      `ls /host; echo ---; cat /host${canary} 2>&1; cat /host/etc/passwd; ls /host/run /host/home; ls /host/work /host/root 2>&1; true`,
    );
    expect(listing.code).toBe(0);
    expect(listing.stdout).not.toContain("host secret");
    expect(listing.stdout).toContain("No such file or directory");
    expect(listing.stdout).not.toMatch(/^(work|srv|opt|boot)$/m);
    // /etc/passwd names root and the sandbox's own user, not the host's users.
    expect(listing.stdout.match(/^[^:\s]+:x:/gm)).toHaveLength(2);
    // Only its own engine's runtime folder, not the other sandbox's socket.
    expect(listing.stdout).not.toContain(other.id);
    say("-v /:/host", "contained", "a private mount root: no /work, no host users, no canary, no other sandbox");
  });

  it("sees only the sandbox's processes through -v /proc:/p", async () => {
    const procs = await inMine(
      "run",
      "--rm",
      "-v",
      "/proc:/p",
      "alpine",
      "sh",
      "-c",
      "for p in /p/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done",
    );
    expect(procs.code).toBe(0);
    const lines = procs.stdout.split("\n").filter(Boolean);
    expect(lines.length).toBeLessThan(30);
    expect(procs.stdout).not.toMatch(/vitest|postgres|dockerd --host unix:\/\/\/tmp/);
    say("-v /proc:/p", "contained", `${lines.length} processes, all the sandbox's own (rootlesskit --pidns)`);
  });

  it("cannot reach a port the host listens on over loopback", async () => {
    expect(await reachableFromHere("127.0.0.1", hostPort)).toBe(true);
    for (const address of ["10.0.2.2", "127.0.0.1"]) {
      const attempt = await connects(address, hostPort);
      expect(attempt.code, attempt.stdout).not.toBe(0);
    }
    say("host loopback port", "refused", "slirp4netns without host loopback; 127.0.0.1 is the sandbox's own");
  });

  it("cannot reach another learner's published port or engine socket", async () => {
    const published = await docker(other.engineSocket, "run", "-d", "--name", "web", "-p", "8080:80", "nginx:latest");
    expect(published.code, published.stderr).toBe(0);
    for (const address of ["10.0.2.2", "127.0.0.1", "172.17.0.1"]) {
      const attempt = await connects(address, 8080);
      expect(attempt.code, `${address}: ${attempt.stdout}`).not.toBe(0);
    }
    const socket = await inMine(
      "run",
      "--rm",
      "-v",
      `${other.engineSocket}:/other.sock`,
      "alpine",
      "test",
      "-S",
      "/other.sock",
    );
    expect(socket.code).not.toBe(0);
    say("another learner's port and socket", "refused", "each sandbox has its own network namespace and mount root");
  });

  it("cannot send traffic off the machine", async () => {
    expect(await reachableFromHere(OUTSIDE_ADDRESS, OUTSIDE_PORT)).toBe(true);
    const attempt = await connects(OUTSIDE_ADDRESS, OUTSIDE_PORT);
    expect(attempt.code, attempt.stdout).not.toBe(0);
    expect(attempt.stdout).not.toContain("outside");
    say("leaving the machine", "refused", "iptables owner rule on the sandbox's uid rejects everything it sends");
  });

  it("a fork bomb stops at the sandbox's pids.max", async () => {
    const bomb = await inMine(
      "run",
      "--rm",
      "alpine",
      "sh",
      "-c",
      "for i in $(seq 600); do sleep 2 & done 2>&1 | head -3; wait",
    );
    expect(`${bomb.stdout}${bomb.stderr}`).toMatch(/can't fork|Resource temporarily unavailable|fork/i);
    expect(Number(await cgroupValue(mine, "pids", "pids.max"))).toBe(256);
    const info = await inMine("info", "--format", "{{.ServerVersion}}");
    expect(info.code).toBe(0);
    say("fork bomb", "contained", "pids.max 256 for the whole sandbox; its engine still answers");
  }, 120_000);

  it("a memory bomb is killed at the sandbox's memory limit", async () => {
    const bomb = await inMine("run", "--rm", "alpine", "sh", "-c", 'a=x; while :; do a="$a$a"; done');
    expect(bomb.code, bomb.stderr).not.toBe(0);
    const oomKills = Number(
      (await cgroupValue(mine, "memory", "memory.oom_control")).match(/oom_kill (\d+)/)?.[1] ?? 0,
    );
    const failures = Number(await cgroupValue(mine, "memory", "memory.failcnt"));
    expect(oomKills + failures, `exit ${bomb.code}: ${bomb.stderr}`).toBeGreaterThan(0);
    expect(await cgroupValue(mine, "memory", "memory.limit_in_bytes")).toBe(String(512 * 1024 * 1024));
    say(
      "memory bomb",
      "contained",
      `stopped at 512 MiB (exit ${bomb.code}, ${oomKills} OOM kills in the sandbox's group)`,
    );
  }, 120_000);

  it("a disk fill stops at the sandbox's disk size", async () => {
    const fill = await inMine(
      "run",
      "--rm",
      "alpine",
      "sh",
      "-c",
      "dd if=/dev/zero of=/fill bs=1M count=2048 2>&1; df -m /",
    );
    expect(fill.stdout).toContain("No space left on device");
    say("disk fill", "contained", "the sandbox's ext4 image of 1024 MiB is full; the host's disk is not");
  }, 180_000);

  it("--privileged is refused, or privileged only over the sandbox's own namespaces", async () => {
    const privileged = await inMine(
      "run",
      "--rm",
      "--privileged",
      "alpine",
      "sh",
      "-c",
      "ls /dev; mount -t ext4 /dev/vda /mnt 2>&1; echo mounted=$?",
    );
    if (privileged.code !== 0 && !privileged.stdout.includes("mounted=")) {
      expect(privileged.stderr).toMatch(/Error response from daemon/);
      say("--privileged", "refused", privileged.stderr.trim().split("\n")[0]?.slice(-200) ?? "");
      return;
    }
    expect(privileged.stdout).not.toMatch(/^(vda|sda|nvme0n1|loop0)$/m);
    expect(privileged.stdout).not.toContain("mounted=0");
    say("--privileged", "contained", "root of a user namespace that maps to the sandbox's user: no host devices");
  });

  it("--pid=host shows the sandbox's processes only", async () => {
    const ps = await inMine("run", "--rm", "--pid=host", "alpine", "ps", "-o", "args");
    expect(ps.stdout).toContain("dockerd");
    expect(ps.stdout).not.toMatch(/vitest|python3 -c/);
    say("--pid=host", "contained", "the host of a sandbox's containers is its own PID namespace");
  });

  it("--network=host joins the sandbox's network, not the machine's", async () => {
    const network = await inMine(
      "run",
      "--rm",
      "--network=host",
      "alpine",
      "sh",
      "-c",
      `ip -o addr; nc -w 3 127.0.0.1 ${hostPort} </dev/null; echo exit=$?`,
    );
    expect(network.stdout).toContain("tap0");
    expect(network.stdout).not.toContain(LAB_SIDE_ADDRESS);
    expect(network.stdout).not.toContain("host-service");
    say("--network=host", "contained", "the sandbox's own network namespace (tap0), not the machine's");
  });
});
