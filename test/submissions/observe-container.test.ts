import { afterAll, describe, expect, it } from "vitest";
import { createDockerEngine } from "../../src/docker/engine.js";
import { gradeSubmission } from "../../src/grading/grade-submission.js";
import { observeContainer } from "../../src/submissions/observe-container.js";
import { docker, uniqueSuffix } from "../docker/learner-shell.js";
import { exerciseWith } from "../grading/recorded-inspect.js";

/**
 * What the grader reads from a real engine about a container `docker run -d` has only just started:
 * a program writes its first line a moment after the command returns, so its logs are read once it
 * is LOGS_SETTLE_MS old, not at once.
 */
describe("a container graded the moment it started", () => {
  const engine = createDockerEngine({ host: process.env.DOCKER_HOST, timeoutMs: 5000, concurrency: 4 });
  const names: string[] = [];
  afterAll(async () => {
    engine.close();
    await docker(["rm", "-f", ...names]).catch(() => {});
  });

  const started = async (script: string) => {
    const name = `recien-${uniqueSuffix()}`;
    names.push(name);
    await docker(["run", "-d", "--name", name, "alpine", "sh", "-c", script]);
    return name;
  };
  const saysListo = exerciseWith({ type: "logsContain", text: "listo" });

  it("has its logs read once it is old enough to have written its first line", async () => {
    const name = await started("sleep 1; echo listo; exec sleep 600");
    const grade = gradeSubmission(saysListo, await observeContainer(engine, saysListo, name));
    expect(grade.checks.map((check) => [check.id, check.passed])).toEqual([
      ["existe", true],
      ["check-1", true],
    ]);
  });

  it("still fails a container that never writes it", async () => {
    const name = await started("exec sleep 600");
    const grade = gradeSubmission(saysListo, await observeContainer(engine, saysListo, name));
    expect(grade.checks.find((check) => check.id === "check-1")?.passed).toBe(false);
  });

  it("does not wait for a container that is no longer running", async () => {
    const name = await started("echo listo");
    await docker(["wait", name]);
    const grade = gradeSubmission(saysListo, await observeContainer(engine, saysListo, name));
    expect(grade.checks.find((check) => check.id === "check-1")?.passed).toBe(true);
  });
});
