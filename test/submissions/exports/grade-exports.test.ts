import { describe, expect, it } from "vitest";
import { EXPORT_FORMATS, GRADE_EXPORTS } from "../../../src/submissions/exports/grade-exports.js";
import { GradescopeResultsSchema, toGradescopeResults } from "../../../src/submissions/exports/gradescope.js";
import { LtiAgsScoreSchema, toLtiAgsScore } from "../../../src/submissions/exports/lti-ags.js";
import { PrairieLearnResultsSchema, toPrairieLearnResults } from "../../../src/submissions/exports/prairielearn.js";
import { exerciseActivityIri, toXapiStatement, XapiStatementSchema } from "../../../src/submissions/exports/xapi.js";
import { toXqueueReply, XqueueReplySchema } from "../../../src/submissions/exports/xqueue.js";
import type { SubmissionInWords } from "../../../src/submissions/submission-schema.js";
import { exerciseWith, gradeInWords, observe } from "../../grading/recorded-inspect.js";
import { validateGradescope, validatePrairieLearn, validateXqueue } from "./platform-schemas.js";
import { xapiWarnings } from "./xapi-validator.js";

// A real grade: the grader's own pure function on inspect JSON recorded from a real engine.
const exercise = exerciseWith({ type: "state", status: "exited" }, { type: "exitCode", equals: 137, points: 3 });

function graded(file: string, language: "es" | "en" = "es"): SubmissionInWords {
  const grade = gradeInWords(exercise, observe(file), language);
  return {
    id: "0b9a4c8e-6f7d-4c5e-9a1b-2c3d4e5f6a7b",
    learnerId: "moodle:4242",
    exerciseId: exercise.id,
    containerName: "example2",
    status: grade.status,
    score: grade.score,
    maxScore: grade.maxScore,
    checks: grade.checks,
    hints: grade.hints,
    language,
    gradedAt: "2026-11-28T10:00:00.123Z",
    durationMs: 1234,
  };
}
const passed = graded("example2-killed.json");
const failed = graded("example2-running.json", "en");

describe("the fixtures", () => {
  it("are one passed and one partly failed grade", () => {
    expect(passed).toMatchObject({ status: "passed", score: 6, maxScore: 6 });
    expect(failed).toMatchObject({ status: "failed", score: 1, maxScore: 6 });
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
  it("passes Learning Locker's validator, sets no version and keeps the duration to 0.01 s", () => {
    for (const submission of [passed, failed]) {
      const statement = toXapiStatement(submission, exercise, { homePage: "https://lms.example" });
      expect(xapiWarnings(statement)).toEqual([]);
      expect(statement).not.toHaveProperty("version");
    }
    const at = (durationMs: number) =>
      toXapiStatement({ ...failed, durationMs }, exercise, { homePage: "https://lms.example" }).result?.duration;
    expect([at(1234), at(1005), at(999), at(0), at(61_000)]).toEqual(["PT1.23S", "PT1.01S", "PT1S", "PT0S", "PT61S"]);
    expect(xapiWarnings({ ...toXapiStatement(failed, exercise, { homePage: "x" }) })).not.toEqual([]);
  });

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
      duration: "PT1.23S",
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
    // What our schema refuses, the reference validator refuses too (the unknown property aside).
    for (const candidate of broken.slice(0, -1))
      expect(xapiWarnings(candidate), JSON.stringify(candidate)).not.toEqual([]);
  });
});

describe("Gradescope results.json", () => {
  it("has the score and one test per check", () => {
    const results = GradescopeResultsSchema.parse(toGradescopeResults(failed, exercise));
    expect(validateGradescope(results), JSON.stringify(validateGradescope.errors)).toBe(true);
    expect(results.score).toBe(1);
    expect(results.execution_time).toBe(1);
    expect(results.tests?.map((t) => [t.tags?.[0], t.status, t.score, t.max_score])).toEqual([
      ["existe", "passed", 1, 1],
      ["check-1", "failed", 0, 2],
      ["check-2", "failed", 0, 3],
    ]);
  });

  it("hides the expected values from students unless asked, and keeps the autograder's stdout hidden", () => {
    const results = toGradescopeResults(failed, exercise);
    expect(results).toMatchObject({ visibility: "visible", stdout_visibility: "hidden" });
    const check = results.tests?.[1];
    expect(check?.visibility).toBe("visible");
    // Only the exercise author's feedback, the same words the learner gets from the API.
    expect(check?.output).toBe(failed.checks[1]?.feedback);
    expect(check?.output).not.toContain("expected:");
    expect(check?.extra_data).toEqual({ expected: "exited", actual: "running" });
    const shown = toGradescopeResults(failed, exercise, { showExpected: true });
    expect(validateGradescope(shown)).toBe(true);
    expect(shown.tests?.[1]?.output).toContain("expected: exited");
  });

  it("rejects unknown fields and visibilities", () => {
    const results = toGradescopeResults(failed, exercise);
    for (const broken of [
      { ...results, grade: 1 },
      { ...results, visibility: "public" },
      { tests: [{ name: "no score" }] },
    ]) {
      expect(GradescopeResultsSchema.safeParse(broken).success).toBe(false);
      expect(validateGradescope(broken)).toBe(false);
    }
  });
});

describe("PrairieLearn results.json", () => {
  it("is gradable with a score in [0, 1] and tests with points", () => {
    const results = PrairieLearnResultsSchema.parse(toPrairieLearnResults(failed, exercise));
    expect(validatePrairieLearn(results), JSON.stringify(validatePrairieLearn.errors)).toBe(true);
    expect(results.gradable).toBe(true);
    expect(results.score).toBeCloseTo(1 / 6);
    expect(results.tests?.map((t) => [t.points, t.max_points])).toEqual([
      [1, 1],
      [0, 2],
      [0, 3],
    ]);
    expect(PrairieLearnResultsSchema.parse(toPrairieLearnResults(passed, exercise)).score).toBe(1);
  });

  it("describes each test in words in the learner's language, never by its slug", () => {
    const [, english] = toPrairieLearnResults(failed, exercise).tests ?? [];
    expect(english?.description).toBe("Worth 2 points. Expected: exited");
    const [spanish] = toPrairieLearnResults(passed, exercise).tests ?? [];
    expect(spanish?.description).toMatch(/^Vale 1 punto\. Se espera: /);
  });

  it("rejects a score out of range or missing", () => {
    for (const [candidate, valid] of [
      [{ gradable: true, score: 6 }, false],
      [{ gradable: true }, false],
      [{ gradable: false }, true],
    ] as const) {
      expect(PrairieLearnResultsSchema.safeParse(candidate).success).toBe(valid);
      expect(validatePrairieLearn(candidate)).toBe(valid);
    }
  });
});

describe("XQueue reply", () => {
  it("is {correct, score, msg} with the score in points and the feedback escaped as HTML", () => {
    const reply = XqueueReplySchema.parse(toXqueueReply(failed, exercise));
    expect(validateXqueue(reply)).toBe(true);
    expect(reply.correct).toBe(false);
    expect(reply.score).toBe(1); // 1 of the exercise's 6 points: edX divides by the problem's max points
    expect(toXqueueReply(passed, exercise).score).toBe(6);
    expect(toXqueueReply(failed, exercise, { maxPoints: 12 }).score).toBeCloseTo(2);
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
