import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { buildTestApp, type TestApp } from "../helper.js";
import { submitGraded } from "./submit-graded.js";

/**
 * sin-memoria on the real engine when the engine has no record of the kernel's OOM kill, as CI saw
 * on a loaded engine. A SIGKILL sent from this host, not through the engine, leaves the engine the
 * same picture: exit 137, OOMKilled=false, no `oom` event and no `kill` event of its own.
 */

let t: TestApp;
const names: string[] = [];

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await docker(["rm", "-f", ...names]).catch(() => {});
  await t?.close();
});

async function tragon(options: { memory: string }) {
  const name = `tragon-${uniqueSuffix()}`;
  names.push(name);
  await docker([
    "run",
    "-d",
    "--name",
    name,
    "-m",
    options.memory,
    "--cpus",
    "0.5",
    "alpine",
    "tail",
    "-f",
    "/dev/null",
  ]);
  return name;
}

async function gradeMemoryCheck(name: string) {
  const body = await submitGraded(t, { exerciseId: "sin-memoria", containerName: name, learnerId: "lost-oom" });
  const stored = await t.prisma.submission.findUniqueOrThrow({ where: { id: body.id }, select: { evidence: true } });
  const evidence = stored.evidence as { checks: Record<string, Record<string, unknown>> };
  return {
    check: body.checks.find((check) => check.id === "matado-por-memoria"),
    evidence: evidence.checks["matado-por-memoria"],
  };
}

describe("an OOM kill the engine did not record", () => {
  it("counts a SIGKILL the engine neither sent nor saw, under a memory limit, and says why in the evidence", async () => {
    const name = await tragon({ memory: "16m" });
    process.kill(Number(await docker(["inspect", "-f", "{{.State.Pid}}", name])), "SIGKILL");
    await docker(["wait", name]);

    const { check, evidence } = await gradeMemoryCheck(name);
    expect(check).toMatchObject({ passed: true, actual: "OOMKilled=true" });
    expect(evidence).toMatchObject({
      exitCode: 137,
      oomKilled: false,
      runEvents: { fromStart: true, toDie: true, signalledByEngine: false, oom: false },
      basis: "sigkillNotFromEngine",
    });
  });

  it("still fails the same 137 when the engine sent the signal", async () => {
    const name = await tragon({ memory: "16m" });
    await docker(["kill", name]);
    await docker(["wait", name]);

    const { check, evidence } = await gradeMemoryCheck(name);
    expect(check).toMatchObject({ passed: false, actual: "OOMKilled=false" });
    expect(evidence).toMatchObject({ runEvents: { signalledByEngine: true }, basis: null });
  });
});
