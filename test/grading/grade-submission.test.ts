import { describe, expect, it } from "vitest";
import { exerciseWith, gradeInWords, observe } from "./recorded-inspect.js";

const exercise = {
  ...exerciseWith({ type: "state", status: "running" }, { type: "exitCode", equals: 137, points: 3 }),
  hints: [
    { when: { state: "running" as const }, text: { es: "{name} sigue vivo", en: "{name} is still alive" } },
    { when: { failed: "check-2" }, text: { es: "código {exitCode}", en: "code {exitCode}" } },
    {
      when: { state: "missing" as const },
      text: {
        es: "créalo con `docker run --name {name} alpine`",
        en: "create it with `docker run --name {name} alpine`",
      },
    },
  ],
};

describe("gradeSubmission", () => {
  it("adds up points per passed check and fails the submission if any check fails", () => {
    const result = gradeInWords(exercise, observe("example2-running.json"), "en");
    expect(result.checks.map((c) => [c.id, c.passed, c.points, c.maxPoints])).toEqual([
      ["existe", true, 1, 1],
      ["check-1", true, 2, 2],
      ["check-2", false, 0, 3],
    ]);
    expect(result).toMatchObject({ status: "failed", score: 3, maxScore: 6 });
  });

  it("shows the hints whose state and failed check match what the learner did", () => {
    const running = gradeInWords(exercise, observe("example2-running.json"), "es");
    expect(running.hints).toEqual(["example2-fixture-rec sigue vivo", "código 0"]);
  });

  it("gives no hints once everything passes", () => {
    const killed = gradeInWords(
      exerciseWith({ type: "state", status: "exited" }, { type: "exitCode", equals: 137 }),
      observe("example2-killed.json"),
      "en",
    );
    expect(killed).toMatchObject({ status: "passed", score: 5, maxScore: 5, hints: [] });
  });

  it("grades a missing container instead of failing: exists fails and only the exercise's hint says how to create it", () => {
    const result = gradeInWords(exercise, { containerName: "example2", facts: undefined }, "es");
    expect(result.status).toBe("failed");
    expect(result.score).toBe(0);
    expect(result.checks[0]).toMatchObject({ passed: false, feedback: "no hay example2", actual: null });
    expect(result.checks[1]?.feedback).toBe("No se pudo comprobar: no hay ningún contenedor llamado example2.");
    // exists looked and failed; the others could not look at all, which a page folds into one line.
    expect(result.checks.map((check) => check.evaluated)).toEqual([true, false, false]);
    // No generic hint of the grader's before it: the page offers the first hint's command to copy.
    expect(result.hints).toEqual(["créalo con `docker run --name example2 alpine`"]);
    expect(result.evidence).toEqual({ containerName: "example2", found: false, container: null, checks: {} });
  });

  it("says plainly that a running container has no exit code yet, instead of calling its state one", () => {
    const running = gradeInWords(exercise, observe("example2-running.json"), "es");
    expect(running.checks[2]).toMatchObject({
      passed: false,
      evaluated: true,
      feedback: "example2-fixture-rec aún no tiene código de salida: está running, así que no ha terminado.",
    });
  });

  it("answers in the negotiated language", () => {
    const english = gradeInWords(exercise, { containerName: "example2", facts: undefined }, "en");
    expect(english.hints).toEqual(["create it with `docker run --name example2 alpine`"]);
  });

  it("keeps in the evidence only what the checks read", () => {
    const result = gradeInWords(exercise, observe("example2-running.json"), "en");
    expect(result.evidence.checks).toEqual({
      existe: { name: "example2-fixture-rec", id: expect.any(String) },
      "check-1": { status: "running" },
      "check-2": { status: "running", exitCode: 0 },
    });
    expect(JSON.stringify(result.evidence)).not.toMatch(/172\.17|HostConfig|ResolvConfPath/);
  });
});
