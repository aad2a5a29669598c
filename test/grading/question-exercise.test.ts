import { describe, expect, it } from "vitest";
import { ExerciseSchema } from "../../src/grading/exercise.js";

/** What authors get wrong in a question exercise, refused when the content loads. */

const text = (es: string, en: string) => ({ es, en });
const feedback = { pass: text("bien", "right"), fail: text("mal", "wrong") };
const option = (id: string) => ({ id, text: text(id, id), feedback: text(id, id) });
const exercise = (questions: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
  id: "preguntas",
  lesson: "prueba",
  kind: "question",
  title: text("Preguntas", "Questions"),
  outcome: text("Sabes", "You know"),
  instructions: text("Responde", "Answer"),
  questions,
  ...extra,
});
const single = { id: "una", type: "single", points: 1, prompt: text("¿?", "?"), feedback };

const issues = (input: unknown) =>
  (ExerciseSchema.safeParse(input).error?.issues ?? []).map((issue) => `${issue.path.join(".")}: ${issue.message}`);

describe("a question exercise", () => {
  it("loads when every answer names its options", () => {
    expect(issues(exercise([{ ...single, options: [option("a"), option("b")], answer: "b" }]))).toEqual([]);
  });

  it("refuses an answer no option has, and a repeated question id", () => {
    const question = { ...single, options: [option("a"), option("b")], answer: "c" };
    expect(issues(exercise([question, { ...question, answer: "a" }]))).toEqual([
      'questions.0.answer.0: no option has id "c"',
      'questions.1.id: duplicate question id "una"',
    ]);
  });

  it("refuses order items listed already in order, and an order that leaves one out", () => {
    const items = [option("a"), option("b"), option("c")].map(({ id, text }) => ({ id, text }));
    const order = { ...single, type: "order", items };
    expect(issues(exercise([{ ...order, answer: ["a", "b", "c"] }]))).toEqual([
      "questions.0.items: items are shown as listed: list them out of order",
    ]);
    expect(issues(exercise([{ ...order, answer: ["c", "a"] }]))).toEqual(["questions.0.answer: must order every item"]);
  });

  it("has no container fields, and a container exercise has no questions", () => {
    const question = { ...single, options: [option("a"), option("b")], answer: "a" };
    expect(issues(exercise([question], { containerName: "prueba" }))).toEqual([': Unrecognized key: "containerName"']);
    expect(issues(exercise([question], { kind: "container" }))).toContain(': Unrecognized key: "questions"');
  });
});
