import { z } from "zod";
import type { Question, QuestionExercise } from "./exercise.js";
import type { Grade, GradedCheck } from "./grade.js";

/** What a learner sends for a question exercise: per question id, an option id, a list of ids, or a text. */
export const AnswersSchema = z
  .record(z.string().min(1).max(100), z.union([z.string().max(1000), z.array(z.string().max(100)).max(50)]))
  .describe(
    'Question exercises only: per question id, an option id ("b"), option ids (["a","c"]), every item id in order, or a text ("137")',
  );
export type Answers = z.infer<typeof AnswersSchema>;
type Answer = Answers[string];

/** Separates the ids of a stored answer; ids are slugs, so they never contain it. */
export const ID_SEPARATOR = ", ";

/** Where an answer does not fit its question, as a request path and a problem; undefined when all fit. */
export function misfitAnswer(
  exercise: QuestionExercise,
  answers: Answers,
): { path: string; problem: string } | undefined {
  for (const [id, answer] of Object.entries(answers)) {
    const path = `body.answers.${id}`;
    const question = exercise.questions.find((candidate) => candidate.id === id);
    if (!question) return { path, problem: `this exercise has no question "${id}"` };
    const wantsList = question.type === "multiple" || question.type === "order";
    if (wantsList !== Array.isArray(answer)) {
      return { path, problem: wantsList ? "expected an array of ids" : "expected a string" };
    }
  }
  return undefined;
}

/**
 * Grades answers the way gradeSubmission grades a container: one check per question, pure and
 * language-neutral. A question left unanswered fails; misfitAnswer has already refused answers
 * of the wrong shape.
 */
export function gradeAnswers(exercise: QuestionExercise, answers: Answers): Grade {
  const checks: GradedCheck[] = exercise.questions.map((question) => {
    const answer = answers[question.id];
    const passed = answer !== undefined && isRight(question, answer);
    return {
      id: question.id,
      passed,
      points: passed ? question.points : 0,
      maxPoints: question.points,
      expected: { say: "rightAnswer", with: {} },
      actual:
        answer === undefined
          ? { say: "noAnswer", with: {} }
          : typeof answer === "string"
            ? answer.trim()
            : answer.join(ID_SEPARATOR),
    };
  });
  const score = checks.reduce((sum, check) => sum + check.points, 0);
  const maxScore = checks.reduce((sum, check) => sum + check.maxPoints, 0);
  return {
    status: checks.every((check) => check.passed) ? "passed" : "failed",
    score,
    maxScore,
    checks,
    hints: [],
    // No container was looked at: the evidence is what the learner answered.
    evidence: {
      containerName: "",
      found: false,
      container: null,
      checks: Object.fromEntries(exercise.questions.map((q) => [q.id, { answer: answers[q.id] ?? null }])),
    },
  };
}

function isRight(question: Question, answer: Answer): boolean {
  switch (question.type) {
    case "single":
      return answer === question.answer;
    case "multiple": {
      // A set: any order, each right option once, no wrong one.
      const chosen = new Set(answer);
      return chosen.size === question.answer.length && question.answer.every((id) => chosen.has(id));
    }
    case "order":
      return Array.isArray(answer) && answer.join(ID_SEPARATOR) === question.answer.join(ID_SEPARATOR);
    case "short":
      return (
        typeof answer === "string" &&
        [question.answer, ...question.alsoAccept].some((accepted) => normalize(accepted) === normalize(answer))
      );
  }
}

/**
 * " Exit  137 " and "exit 137" are the same answer; so are `sudo docker ps` and `docker ps`: sudo
 * changes who runs a command, not the command, and the lessons' Linux installs may need it.
 */
function normalize(text: string): string {
  return text
    .normalize("NFKC")
    .trim()
    .toLowerCase()
    .replace(/\s+/g, " ")
    .replace(/^sudo /, "");
}
