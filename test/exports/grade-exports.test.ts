import { describe, expect, it } from "vitest";
import { EXPORT_FORMATS, GRADE_EXPORTS } from "../../src/exports/grade-exports.js";
import type { GradedSubmission } from "../../src/exports/graded-submission.js";
import { GradescopeResultsSchema, toGradescopeResults } from "../../src/exports/gradescope.js";
import { LtiAgsScoreSchema, toLtiAgsScore } from "../../src/exports/lti-ags.js";
import { PrairieLearnResultsSchema, toPrairieLearnResults } from "../../src/exports/prairielearn.js";
import { exerciseActivityIri, toXapiStatement, XapiStatementSchema } from "../../src/exports/xapi.js";
import { toXqueueReply, XqueueReplySchema } from "../../src/exports/xqueue.js";
import { exerciseWith, gradeInWords, observe } from "../grading/recorded-inspect.js";

// A real grade: the grader's own pure function on inspect JSON recorded from a real engine.
const exercise = exerciseWith({ type: "state", status: "exited" }, { type: "exitCode", equals: 137, points: 3 });

function graded(file: string, language: "es" | "en" = "es"): GradedSubmission {
  const grade = gradeInWords(exercise, observe(file), language);
  return {
    id: "0b9a4c8e-6f7d-4c5e-9a1b-2c3d4e5f6a7b",
    learnerId: "moodle:4242",
    exerciseId: exercise.id,
    passed: grade.status === "passed",
    score: grade.score,
    maxScore: grade.maxScore,
    checks: grade.checks,
    hints: grade.hints,
    language,
    gradedAt: new Date("2026-11-28T10:00:00.123Z"),
    durationMs: 1234,
  };
}
const passed = graded("example2-killed.json");
const failed = graded("example2-running.json", "en");

describe("the fixtures", () => {
  it("are one passed and one partly failed grade", () => {
    expect(passed).toMatchObject({ passed: true, score: 6, maxScore: 6 });
    expect(failed).toMatchObject({ passed: false, score: 1, maxScore: 6 });
  });
});

describe("LTI AGS score", () => {
  it("reports the points with the fields of the score publish service", () => {
    const score = LtiAgsScoreSchema.parse(toLtiAgsScore(failed, exercise));
    expect(score).toMatchObject({
      userId: "moodle:4242",
      scoreGiven: 1,
      scoreMaximum: 6,
      activityProgress: "Submitted",
      gradingProgress: "FullyGraded",
      timestamp: "2026-11-28T10:00:00.123Z",
    });
    expect(score.comment).toContain("Test: 1/6");
    expect(toLtiAgsScore(passed, exercise).activityProgress).toBe("Completed");
  });

  it("rejects what a platform would reject", () => {
    const score = toLtiAgsScore(passed, exercise);
    expect(LtiAgsScoreSchema.safeParse({ ...score, gradingProgress: "Done" }).success).toBe(false);
    expect(LtiAgsScoreSchema.safeParse({ ...score, timestamp: "2026-11-28" }).success).toBe(false);
    expect(LtiAgsScoreSchema.safeParse({ ...score, scoreMaximum: 0 }).success).toBe(false);
  });
});

describe("xAPI 1.0.3 statement", () => {
  it("has an account actor, passed/failed verb, the exercise activity in both languages and a full score", () => {
    const statement = XapiStatementSchema.parse(toXapiStatement(failed, exercise, { homePage: "https://lms.example" }));
    expect(statement.id).toBe(failed.id);
    expect(statement.actor).toEqual({
      objectType: "Agent",
      account: { homePage: "https://lms.example", name: "moodle:4242" },
    });
    expect(statement.verb.id).toBe("http://adlnet.gov/expapi/verbs/failed");
    expect(statement.object.id).toBe(exerciseActivityIri("prueba"));
    expect(statement.object.definition?.name).toEqual({ es: "Prueba", en: "Test" });
    expect(statement.result).toEqual({
      score: { scaled: 1 / 6, raw: 1, min: 0, max: 6 },
      success: false,
      completion: true,
      duration: "PT1.234S",
    });
    const won = toXapiStatement(passed, exercise, { homePage: "https://lms.example" });
    expect(won.verb.id).toBe("http://adlnet.gov/expapi/verbs/passed");
    expect(won.result?.score?.scaled).toBe(1);
  });

  it("rejects statements an LRS would reject", () => {
    const statement = toXapiStatement(passed, exercise, { homePage: "https://lms.example" });
    const broken = [
      { ...statement, actor: { objectType: "Agent" } },
      { ...statement, actor: { ...statement.actor, mbox: "mailto:a@b.example" } },
      { ...statement, result: { score: { raw: 9, min: 0, max: 6 } } },
      { ...statement, result: { score: { scaled: 1.5 } } },
      { ...statement, result: { duration: "1.2 seconds" } },
      { ...statement, verb: { id: "passed" } },
      { ...statement, mood: "happy" },
    ];
    for (const candidate of broken)
      expect(XapiStatementSchema.safeParse(candidate).success, JSON.stringify(candidate)).toBe(false);
  });
});

describe("Gradescope results.json", () => {
  it("has the score and one test per check", () => {
    const results = GradescopeResultsSchema.parse(toGradescopeResults(failed, exercise));
    expect(results.score).toBe(1);
    expect(results.execution_time).toBe(1);
    expect(results.tests?.map((t) => [t.tags?.[0], t.status, t.score, t.max_score])).toEqual([
      ["existe", "passed", 1, 1],
      ["check-1", "failed", 0, 2],
      ["check-2", "failed", 0, 3],
    ]);
    expect(results.tests?.[1]?.output).toContain("expected: exited");
  });

  it("rejects unknown fields and visibilities", () => {
    const results = toGradescopeResults(failed, exercise);
    expect(GradescopeResultsSchema.safeParse({ ...results, grade: 1 }).success).toBe(false);
    expect(GradescopeResultsSchema.safeParse({ ...results, visibility: "public" }).success).toBe(false);
    expect(GradescopeResultsSchema.safeParse({ tests: [{ name: "no score" }] }).success).toBe(false);
  });
});

describe("PrairieLearn results.json", () => {
  it("is gradable with a score in [0, 1] and tests with points", () => {
    const results = PrairieLearnResultsSchema.parse(toPrairieLearnResults(failed, exercise));
    expect(results.gradable).toBe(true);
    expect(results.score).toBeCloseTo(1 / 6);
    expect(results.tests?.map((t) => [t.points, t.max_points])).toEqual([
      [1, 1],
      [0, 2],
      [0, 3],
    ]);
    expect(PrairieLearnResultsSchema.parse(toPrairieLearnResults(passed, exercise)).score).toBe(1);
  });

  it("rejects a score out of range or missing", () => {
    expect(PrairieLearnResultsSchema.safeParse({ gradable: true, score: 6 }).success).toBe(false);
    expect(PrairieLearnResultsSchema.safeParse({ gradable: true }).success).toBe(false);
    expect(PrairieLearnResultsSchema.safeParse({ gradable: false }).success).toBe(true);
  });
});

describe("XQueue reply", () => {
  it("is {correct, score, msg} with the feedback escaped as HTML", () => {
    const reply = XqueueReplySchema.parse(toXqueueReply(failed, exercise));
    expect(reply.correct).toBe(false);
    expect(reply.score).toBeCloseTo(1 / 6);
    expect(reply.msg).toContain('<li class="incorrect">');
    const hostile = { ...failed, checks: failed.checks.map((c) => ({ ...c, feedback: "<script>alert(1)</script>" })) };
    expect(toXqueueReply(hostile, exercise).msg).not.toContain("<script>");
    expect(XqueueReplySchema.safeParse({ ...reply, extra: 1 }).success).toBe(false);
  });
});

describe("the registry", () => {
  it("renders every format into output its own schema accepts", () => {
    expect(EXPORT_FORMATS).toEqual(["lti-ags", "xapi", "gradescope", "prairielearn", "xqueue"]);
    for (const format of EXPORT_FORMATS) {
      const entry = GRADE_EXPORTS[format];
      for (const submission of [passed, failed]) {
        const output = entry.render(submission, exercise, { homePage: "https://lms.example" });
        expect(entry.schema.safeParse(output).success, format).toBe(true);
      }
    }
  });
});
