import { z } from "zod";
import type { Language } from "../schemas/language.js";
import type { Exercise, Hint, Question, QuestionExercise } from "./exercise.js";
import { type GradedCheck, GradedCheckSchema, type HintRef, HintRefSchema, type Shown } from "./grade.js";
import { ID_SEPARATOR } from "./grade-answers.js";
import { GRADER_MESSAGES, localize } from "./messages.js";

/** One check of a grade as a learner reads it, in one language. */
export const CheckResultSchema = z
  .object({
    id: z.string(),
    description: z.string(),
    passed: z.boolean(),
    points: z.number().int().describe("Points earned: maxPoints when passed, else 0"),
    maxPoints: z.number().int(),
    feedback: z.string().describe("What the learner did and what to change, in the negotiated language"),
    expected: z.string(),
    actual: z.string().nullable().describe("What the engine showed; null when there was no container to look at"),
    evaluated: z
      .boolean()
      .describe("false when the check could not run: there was no container to look at (exists said so)"),
    answers: z
      .object({
        given: z.array(z.string()).describe("What the learner answered: the chosen options' text, in order"),
        right: z.array(z.string()).describe("The right answer: the right options' text, in order"),
      })
      .optional()
      .describe("Question exercises only, in Markdown"),
  })
  .meta({ id: "CheckResult" });
export type CheckResult = z.infer<typeof CheckResultSchema>;

interface LocalizedGrade {
  checks: CheckResult[];
  hints: string[];
}

/**
 * Writes a stored, language-neutral grade in one language, with the exercise's current words.
 * A check or hint the exercise no longer has keeps its values and loses only its prose.
 */
export function localizeGrade(
  exercise: Exercise | undefined,
  grade: { containerName: string; checks: readonly GradedCheck[]; hints: readonly HintRef[] },
  language: Language,
): LocalizedGrade {
  if (exercise?.kind === "question")
    return { checks: grade.checks.map((graded) => localizeAnswer(exercise, graded, language)), hints: [] };
  const name = grade.containerName;
  const checks = grade.checks.map((graded): CheckResult => {
    const check = exercise?.checks.find((candidate) => candidate.id === graded.id);
    const expected = show(graded.expected, language);
    const actual = graded.actual === null ? null : show(graded.actual, language);
    const feedback = !check
      ? ""
      : isNotExitedYet(graded)
        ? localize(GRADER_MESSAGES.noExitCodeYet, language, { name, ...graded.actual.with })
        : actual === null
          ? check.type === "exists"
            ? localize(check.feedback.fail, language, {
                name,
                expected,
                actual: localize(GRADER_MESSAGES.noContainer, language),
              })
            : localize(GRADER_MESSAGES.notCheckedWithoutContainer, language, { name })
          : localize(graded.passed ? check.feedback.pass : check.feedback.fail, language, { name, expected, actual });
    return {
      ...outcomeOf(graded),
      description: check ? localize(check.description, language, { name }) : graded.id,
      feedback,
      expected,
      actual,
      evaluated: actual !== null || check?.type === "exists",
    };
  });
  const hints = grade.hints.flatMap((ref) => {
    if ("say" in ref) return [localize(GRADER_MESSAGES[ref.say], language, ref.with)];
    const hint = exercise?.hints.find((candidate) => sameCondition(candidate.when, ref.when));
    return hint ? [localize(hint.text, language, ref.with)] : [];
  });
  return { checks, hints: [...new Set(hints)] };
}

/** What a check's result keeps of the grade as it is, whatever the language. */
function outcomeOf({ id, passed, points, maxPoints }: GradedCheck) {
  return { id, passed, points, maxPoints };
}

/** A question's check: its pass or fail words, then what each chosen option says about itself. */
function localizeAnswer(exercise: QuestionExercise, graded: GradedCheck, language: Language): CheckResult {
  const question = exercise.questions.find((candidate) => candidate.id === graded.id);
  const expected = show(graded.expected, language);
  const actual = graded.actual === null ? null : show(graded.actual, language);
  const chosen = typeof graded.actual === "string" ? graded.actual.split(ID_SEPARATOR) : [];
  const options =
    question && "options" in question ? question.options.filter((option) => chosen.includes(option.id)) : [];
  const feedback = question
    ? [question.feedback[graded.passed ? "pass" : "fail"], ...options.map((option) => option.feedback)]
        .map((text) => localize(text, language, { expected, actual: actual ?? "" }))
        .join(" ")
    : "";
  return {
    ...outcomeOf(graded),
    description: question ? localize(question.prompt, language) : graded.id,
    feedback,
    expected,
    actual,
    evaluated: true,
    answers: question ? answersInWords(question, graded, language) : undefined,
  };
}

/**
 * The learner's answer and the right one as the options' own words, never as ids: a learner who
 * chose wrong learns more from seeing the right option than from being told to try again.
 */
function answersInWords(question: Question, graded: GradedCheck, language: Language) {
  if (question.type === "short") {
    const given = typeof graded.actual === "string" ? [graded.actual] : [];
    return { given, right: [question.answer] };
  }
  const choices = question.type === "order" ? question.items : question.options;
  const textOf = (id: string) => choices.find((choice) => choice.id === id)?.text[language] ?? id;
  const given = typeof graded.actual === "string" && graded.actual !== "" ? graded.actual.split(ID_SEPARATOR) : [];
  const right = typeof question.answer === "string" ? [question.answer] : question.answer;
  return { given: given.map(textOf), right: right.map(textOf) };
}

/** An exit code asked of a container still running: it has none yet, which the feedback says plainly. */
function isNotExitedYet(
  graded: GradedCheck,
): graded is GradedCheck & { actual: { say: "notExitedYet"; with: Record<string, string> } } {
  return typeof graded.actual === "object" && graded.actual?.say === "notExitedYet" && !graded.passed;
}

function show(value: Shown, language: Language): string {
  return typeof value === "string" ? value : localize(GRADER_MESSAGES[value.say], language, value.with);
}

function sameCondition(a: Hint["when"], b: { state?: string | undefined; failed?: string | undefined }) {
  return a.state === b.state && a.failed === b.failed;
}

/** Grades are stored language-neutral; rows written before that hold text in the language they were graded in. */
export const StoredGradeSchema = z.union([
  z.object({ kind: z.literal("neutral"), checks: z.array(GradedCheckSchema), hints: z.array(HintRefSchema) }),
  z.object({
    kind: z.literal("localized"),
    checks: z.array(CheckResultSchema.extend({ evaluated: z.boolean().default(true) })),
    hints: z.array(z.string()),
  }),
]);
export type StoredGrade = z.infer<typeof StoredGradeSchema>;

/** A stored grade in words, in one language; rows stored before grades were neutral keep their own words. */
export function gradeInWords(
  stored: { containerName: string; grade: StoredGrade },
  exercise: Exercise | undefined,
  language: Language,
): LocalizedGrade {
  if (stored.grade.kind === "localized") return { checks: stored.grade.checks, hints: stored.grade.hints };
  return localizeGrade(exercise, { containerName: stored.containerName, ...stored.grade }, language);
}
