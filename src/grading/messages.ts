import { z } from "zod";
import { type Language, type LocalizedText, LocalizedTextSchema } from "../schemas/language.js";
import graderMessages from "./grader-messages.json" with { type: "json" };

/**
 * The grader's own words, for what no exercise file can say in advance, in every language: data in
 * grader-messages.json, which a translator edits without reading TypeScript. Its keys are typed from
 * the file, so code that names a message the file lacks does not compile; its texts are parsed when
 * this module loads, so an empty or missing translation stops the service at start-up.
 *
 * Some are kept only for grades stored earlier, which are put into words again on every read:
 * `missingContainerHint` (from before every container exercise had its own hint for a missing
 * container), `rightAnswer` (a response now shows the right options' own text, see localize-grade.ts)
 * and `notRunning` (from before `containerIs` said the state itself).
 */
export const GRADER_MESSAGES = graderMessages satisfies Record<string, LocalizedText>;
const parsedMessages = z.record(z.string(), LocalizedTextSchema.strict()).safeParse(GRADER_MESSAGES);
if (!parsedMessages.success) {
  throw new Error(`src/grading/grader-messages.json: ${z.prettifyError(parsedMessages.error)}`);
}

export type GraderMessage = keyof typeof GRADER_MESSAGES;

/** The grader's own hints: every state an exercise's hints need not foresee (a missing container they must). */
export const GRADER_HINTS = [
  "createdHint",
  "startFailedHint",
  "pausedHint",
  "restartingHint",
  "deadHint",
  "removingHint",
] as const satisfies readonly GraderMessage[];
export type GraderHint = (typeof GRADER_HINTS)[number];
// Object.keys loses the key type; these are exactly the keys of GRADER_MESSAGES, and it has at least one.
export const GraderMessageSchema = z.enum(Object.keys(GRADER_MESSAGES) as [GraderMessage, ...GraderMessage[]]);

/** Picks the language and fills {placeholders}; unknown ones stay as written so authors notice. */
export function localize(
  text: LocalizedText,
  language: Language,
  values: Record<string, string | number> = {},
): string {
  return text[language].replace(/\{(\w+)\}/g, (whole, key: string) =>
    Object.hasOwn(values, key) ? String(values[key]) : whole,
  );
}
