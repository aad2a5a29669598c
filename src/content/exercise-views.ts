import { z } from "zod";
import { type Exercise, maxScoreOf, type Question } from "../grading/exercise.js";
import { localize } from "../grading/messages.js";
import { type Language, LanguageSchema } from "../schemas/language.js";

/** An exercise as learners see it, in one language: the checks they will be graded on, never the solution. */
const ExerciseCheckViewSchema = z
  .object({
    id: z.string(),
    type: z.string().describe("The kind of check, e.g. state, exitCode, portPublished"),
    description: z.string(),
    points: z.number().int(),
  })
  .meta({ id: "ExerciseCheck" });

const ChoiceViewSchema = z.object({ id: z.string(), text: z.string() });

/** A question as learners see it: its options or items, never which are right nor in what order. */
const ExerciseQuestionViewSchema = z
  .object({
    id: z.string(),
    type: z
      .enum(["single", "multiple", "order", "short"])
      .describe(
        "single: answer one option id; multiple: an array of option ids; order: every item id, in order; short: a text",
      ),
    prompt: z.string().describe("Markdown"),
    points: z.number().int(),
    options: z.array(ChoiceViewSchema).optional().describe("For single and multiple"),
    items: z.array(ChoiceViewSchema).optional().describe("For order, in no particular order"),
  })
  .meta({ id: "ExerciseQuestion" });

const ExerciseSummarySchema = z
  .object({
    id: z.string(),
    lesson: z.string().describe("Slug of the lesson this exercise belongs to"),
    title: z.string(),
    kind: z
      .enum(["container", "question"])
      .describe("container: graded on the learner's container; question: graded on the answers submitted"),
    containerName: z
      .string()
      .describe("The container name the exercise asks for; submissions default to it. Empty for a question exercise"),
    maxScore: z.number().int(),
  })
  .meta({ id: "ExerciseSummary" });

export const ExerciseListSchema = z
  .object({ language: LanguageSchema, items: z.array(ExerciseSummarySchema) })
  .meta({ id: "ExerciseList" });

/** A hint of the exercise, readable before any attempt: it says when it applies, and what to do then. */
const ExerciseHintViewSchema = z
  .object({
    when: z
      .object({
        state: z.string().optional().describe("The container's state it is for; missing: no container has the name"),
        failed: z.string().optional().describe("The id of the check whose failure it explains"),
      })
      .describe("Every condition given holds"),
    text: z.string().describe("Markdown"),
  })
  .meta({ id: "ExerciseHint" });

export const ExerciseDetailSchema = ExerciseSummarySchema.extend({
  language: LanguageSchema,
  instructions: z.string().describe("Markdown"),
  checks: z.array(ExerciseCheckViewSchema).describe("Empty for a question exercise"),
  hints: z
    .array(ExerciseHintViewSchema)
    .describe("For a learner to read one at a time before trying; a grade shows those that fit what it saw"),
  questions: z.array(ExerciseQuestionViewSchema).optional().describe("Question exercises only"),
}).meta({ id: "Exercise" });

export function exerciseSummary(exercise: Exercise, language: Language): z.infer<typeof ExerciseSummarySchema> {
  return {
    id: exercise.id,
    lesson: exercise.lesson,
    title: exercise.title[language],
    kind: exercise.kind,
    // Kept, and empty, for questions: clients read containerName as always present.
    containerName: exercise.kind === "container" ? exercise.containerName : "",
    maxScore: maxScoreOf(exercise),
  };
}

export function exerciseDetail(exercise: Exercise, language: Language): z.infer<typeof ExerciseDetailSchema> {
  const base = { ...exerciseSummary(exercise, language), language, instructions: exercise.instructions[language] };
  if (exercise.kind === "question") {
    return {
      ...base,
      checks: [],
      hints: [],
      questions: exercise.questions.map((question) => questionView(question, language)),
    };
  }
  const name = exercise.containerName;
  return {
    ...base,
    hints: exercise.hints.flatMap((hint) => {
      const text = localize(hint.text, language, { name, state: hint.when.state ?? "" });
      // A hint that needs what an attempt saw ({exitCode}, {error}) waits for a grade to say it.
      return /\{\w+\}/.test(text) ? [] : [{ when: { ...hint.when }, text }];
    }),
    checks: exercise.checks.map((check) => ({
      id: check.id,
      type: check.type,
      description: localize(check.description, language, { name }),
      points: check.points,
    })),
  };
}

/** Built field by field, so nothing of the answer key (answer, alsoAccept, feedback) can slip through. */
function questionView(question: Question, language: Language): z.infer<typeof ExerciseQuestionViewSchema> {
  const choices = (list: readonly { id: string; text: { es: string; en: string } }[]) =>
    list.map((choice) => ({ id: choice.id, text: choice.text[language] }));
  const view = { id: question.id, type: question.type, prompt: question.prompt[language], points: question.points };
  if (question.type === "single" || question.type === "multiple")
    return { ...view, options: choices(question.options) };
  if (question.type === "order") return { ...view, items: choices(question.items) };
  return view;
}
