import { z } from "zod";
import type { SubmissionInWords } from "../submission-schema.js";
import { type ExportedExercise, scaledScore } from "./graded-submission.js";

/** Where our activity IRIs live; stable, so an LRS groups every attempt at one exercise together. */
const ACTIVITY_IRI_BASE = "https://aprendiendo-docker.dev";

const Iri = z.url();
/** RFC 5646 language tag → text. */
const LanguageMap = z.record(z.string().regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/), z.string());
const Extensions = z.record(Iri, z.unknown());
/** ISO 8601 duration, as xAPI requires for result.duration. */
const Duration = z.string().regex(/^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/);

const AgentSchema = z
  .strictObject({
    objectType: z.literal("Agent").optional(),
    name: z.string().optional(),
    mbox: z.string().startsWith("mailto:").optional(),
    mbox_sha1sum: z
      .string()
      .regex(/^[0-9a-f]{40}$/)
      .optional(),
    openid: Iri.optional(),
    account: z.strictObject({ homePage: Iri, name: z.string().min(1) }).optional(),
  })
  .refine(
    (agent) =>
      [agent.mbox, agent.mbox_sha1sum, agent.openid, agent.account].filter((v) => v !== undefined).length === 1,
    { message: "an Agent has exactly one inverse functional identifier" },
  );

const ActivitySchema = z.strictObject({
  objectType: z.literal("Activity").optional(),
  id: Iri,
  definition: z
    .strictObject({
      name: LanguageMap.optional(),
      description: LanguageMap.optional(),
      type: Iri.optional(),
      moreInfo: Iri.optional(),
      extensions: Extensions.optional(),
    })
    .optional(),
});

const ScoreSchema = z
  .strictObject({
    scaled: z.number().min(-1).max(1).optional(),
    raw: z.number().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .refine((s) => s.min === undefined || s.max === undefined || s.min < s.max, { message: "min must be below max" })
  .refine((s) => s.raw === undefined || ((s.min ?? s.raw) <= s.raw && s.raw <= (s.max ?? s.raw)), {
    message: "raw must lie between min and max",
  });

/** An xAPI 1.0.3 Statement, with the properties the specification lists (attachments aside). */
export const XapiStatementSchema = z
  .strictObject({
    id: z.uuid().optional(),
    actor: AgentSchema,
    verb: z.strictObject({ id: Iri, display: LanguageMap.optional() }),
    object: ActivitySchema,
    result: z
      .strictObject({
        score: ScoreSchema.optional(),
        success: z.boolean().optional(),
        completion: z.boolean().optional(),
        response: z.string().optional(),
        duration: Duration.optional(),
        extensions: Extensions.optional(),
      })
      .optional(),
    context: z
      .strictObject({
        registration: z.uuid().optional(),
        contextActivities: z
          .strictObject({
            parent: z.array(ActivitySchema).optional(),
            grouping: z.array(ActivitySchema).optional(),
            category: z.array(ActivitySchema).optional(),
            other: z.array(ActivitySchema).optional(),
          })
          .optional(),
        revision: z.string().optional(),
        platform: z.string().optional(),
        language: z.string().optional(),
        extensions: Extensions.optional(),
      })
      .optional(),
    timestamp: z.iso.datetime({ offset: true }).optional(),
    // xAPI 1.0.3 §2.4.10: a Statement SHOULD NOT set it, and one that does MUST say 1.0.x; an LRS adds it.
    version: z
      .string()
      .regex(/^1\.0\.\d+$/)
      .optional(),
  })
  .meta({ id: "XapiStatement" });
export type XapiStatement = z.infer<typeof XapiStatementSchema>;

const VERBS = {
  passed: { id: "http://adlnet.gov/expapi/verbs/passed", display: { "en-US": "passed", es: "aprobó" } },
  failed: { id: "http://adlnet.gov/expapi/verbs/failed", display: { "en-US": "failed", es: "no aprobó" } },
};

export function exerciseActivityIri(exerciseId: string): string {
  return `${ACTIVITY_IRI_BASE}/exercises/${encodeURIComponent(exerciseId)}`;
}

/**
 * xAPI 1.0.3 Part 2 §4.6: a duration is kept to 0.01 s precision, since an LRS may truncate
 * finer values and then compare the statement unequal to the one it stored.
 */
function xapiDuration(durationMs: number): string {
  return `PT${Math.round(durationMs / 10) / 100}S`;
}

/**
 * The statement for one graded submission. Its id is the submission's id. The exercise title and
 * the client's homePage can change later, so callers do not re-render it: they freeze it once
 * (xapi-statement-store.ts) and serve and push that copy, which an LRS then sees identical every time.
 */
export function toXapiStatement(
  submission: SubmissionInWords,
  exercise: ExportedExercise,
  options: { homePage: string },
): XapiStatement {
  return {
    id: submission.id,
    actor: { objectType: "Agent", account: { homePage: options.homePage, name: submission.learnerId } },
    verb: submission.status === "passed" ? VERBS.passed : VERBS.failed,
    object: {
      objectType: "Activity",
      id: exerciseActivityIri(exercise.id),
      definition: {
        name: { es: exercise.title.es, en: exercise.title.en },
        type: "http://adlnet.gov/expapi/activities/assessment",
      },
    },
    result: {
      score: { scaled: scaledScore(submission), raw: submission.score, min: 0, max: Math.max(submission.maxScore, 1) },
      success: submission.status === "passed",
      completion: true,
      duration: xapiDuration(submission.durationMs),
    },
    context: {
      platform: "Aprendiendo Docker",
      language: submission.language,
      contextActivities: {
        parent: [{ objectType: "Activity", id: `${ACTIVITY_IRI_BASE}/lessons/${encodeURIComponent(exercise.lesson)}` }],
      },
    },
    timestamp: submission.gradedAt,
  };
}
