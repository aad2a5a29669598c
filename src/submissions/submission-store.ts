import { z } from "zod";
import { keysetSql, toPage } from "../db/keyset.js";
import { type Sql, type Statement, statement } from "../db/sql.js";
import type { Storage } from "../db/storage.js";
import { insertDeliveriesSql, type WebhookPayload } from "../delivery/events.js";
import { type Grade, GradedCheckSchema } from "../grading/grade.js";
import { INSERT_LEARNER_SQL } from "../learners/learners.js";
import type { Page, PageQuery } from "../schemas/page.js";
import { type StoredSubmission, StoredSubmissionSchema, type StoredSubmissionSummary } from "./submission-schema.js";

/**
 * The only reader and writer of the submissions table. Stored JSON is validated on the way out,
 * so a row that does not hold what we think fails loudly here instead of far away.
 */

/** A graded attempt about to be stored: its grade as the grader made it, and the client that owns the learner. */
type NewSubmission = Pick<
  StoredSubmission,
  "id" | "learnerId" | "exerciseId" | "containerName" | "language" | "gradedAt" | "durationMs"
> & { clientId: string; grade: Grade };

/** The events a recorded submission causes; the first-pass one is enqueued only on a first pass. */
interface SubmissionEvents {
  graded: WebhookPayload;
  firstPass: WebhookPayload;
}

/** Exported for the grading benchmark's baseline, which sends the same SQL through plain pg. */
export const lockLearnerExercise = statement<[clientId: string, learnerId: string, lockKey: string]>()(
  "lock-learner-exercise",
  `WITH learner AS (${INSERT_LEARNER_SQL})
   SELECT pg_advisory_xact_lock(hashtextextended($3, 0))`,
  // One row whose only column is the lock's void: nothing in it is read.
  z.object({}),
);

/*
 * One statement for the attempt, its progress and its events. All its CTEs read the snapshot taken
 * when it starts, after the advisory lock was granted, so `before` is the progress the previous
 * submission committed and "first pass" is exact. Prisma keeps TIMESTAMP columns as UTC wall-clock
 * time; say so explicitly, whatever the session's TimeZone.
 */
export const recordGradedSubmission = statement<
  [
    clientId: string,
    learnerId: string,
    exerciseId: string,
    id: string,
    containerName: string,
    passed: boolean,
    score: number,
    maxScore: number,
    checks: string,
    hints: string,
    evidence: string,
    language: string,
    gradedAt: string,
    durationMs: number,
    gradedEvent: string,
    firstPassEvent: string,
  ]
>()(
  "record-graded-submission",
  `WITH before AS (
     SELECT passed FROM exercise_progress WHERE client_id = $1::uuid AND learner_id = $2 AND exercise_id = $3
   ), submission AS (
     INSERT INTO submissions
       (id, client_id, learner_id, exercise_id, container_name, passed, score, max_score, checks, hints, evidence,
        language, graded_at, duration_ms)
     VALUES ($4::uuid, $1::uuid, $2, $3, $5, $6::boolean, $7, $8, $9::jsonb, $10::jsonb, $11::jsonb, $12,
             $13::timestamptz AT TIME ZONE 'UTC', $14)
   ), progress AS (
     INSERT INTO exercise_progress
       (client_id, learner_id, exercise_id, attempts, best_score, max_score, passed, first_passed_at, last_submitted_at)
     VALUES ($1::uuid, $2, $3, 1, $7, $8, $6::boolean,
             CASE WHEN $6::boolean THEN ($13::timestamptz AT TIME ZONE 'UTC') END, $13::timestamptz AT TIME ZONE 'UTC')
     ON CONFLICT (client_id, learner_id, exercise_id) DO UPDATE SET
       attempts = exercise_progress.attempts + 1,
       best_score = GREATEST(exercise_progress.best_score, EXCLUDED.best_score),
       max_score = EXCLUDED.max_score,
       passed = exercise_progress.passed OR EXCLUDED.passed,
       first_passed_at = LEAST(exercise_progress.first_passed_at, EXCLUDED.first_passed_at),
       last_submitted_at = GREATEST(exercise_progress.last_submitted_at, EXCLUDED.last_submitted_at)
   ), first_pass AS (
     SELECT $6::boolean AND NOT COALESCE((SELECT passed FROM before), false) AS yes
   ), graded_event AS (
     ${insertDeliveriesSql({ clientId: "$1", type: "'submission.graded'", payload: "$15" })}
   ), first_pass_event AS (
     ${insertDeliveriesSql({ clientId: "$1", type: "'exercise.passed'", payload: "$16", when: "(SELECT yes FROM first_pass)" })}
   )
   SELECT (SELECT yes FROM first_pass) AS "firstPass",
          ((SELECT count(*) FROM graded_event) + (SELECT count(*) FROM first_pass_event))::int AS enqueued`,
  z.object({ firstPass: z.boolean(), enqueued: z.number() }),
);

/**
 * Stores a graded attempt, counts it in the learner's progress and enqueues its webhook events, in
 * the caller's transaction: two statements, the second of which costs nothing extra for a client
 * without webhook endpoints. The progress upsert is one INSERT … ON CONFLICT, so concurrent
 * submissions for the same learner and exercise serialize on the row lock and never lose an attempt
 * or lower the best score. A transaction-scoped advisory lock per learner and exercise makes
 * "first pass" exact.
 */
export async function recordSubmission(
  tx: Sql,
  submission: NewSubmission,
  events: SubmissionEvents,
): Promise<{ firstPass: boolean; enqueued: number }> {
  const { id, clientId, learnerId, exerciseId, grade, gradedAt } = submission;
  await tx.rows(lockLearnerExercise, [clientId, learnerId, `${clientId}/${learnerId}/${exerciseId}`]);
  const [recorded] = await tx.rows(recordGradedSubmission, [
    clientId,
    learnerId,
    exerciseId,
    id,
    submission.containerName,
    grade.status === "passed",
    grade.score,
    grade.maxScore,
    JSON.stringify(grade.checks),
    JSON.stringify(grade.hints),
    JSON.stringify(grade.evidence),
    submission.language,
    gradedAt.toISOString(),
    submission.durationMs,
    JSON.stringify(events.graded),
    JSON.stringify(events.firstPass),
  ]);
  if (!recorded) throw new Error("recording a submission returned no row");
  return recorded;
}

/**
 * What a new submission reads back as once stored. Built from the typed grade, not parsed: zod
 * checks rows read from the table, where old or foreign data can hide, not what the grader just made.
 */
export function asStored(submission: NewSubmission): StoredSubmission {
  const { grade } = submission;
  return {
    id: submission.id,
    learnerId: submission.learnerId,
    exerciseId: submission.exerciseId,
    containerName: submission.containerName,
    passed: grade.status === "passed",
    score: grade.score,
    maxScore: grade.maxScore,
    grade: { kind: "neutral", checks: grade.checks, hints: grade.hints },
    language: submission.language,
    evidence: grade.evidence,
    gradedAt: submission.gradedAt,
    durationMs: submission.durationMs,
  };
}

/** Another client's submission is answered exactly like a missing one. */
export async function findSubmission(
  { prisma: db }: Storage,
  clientId: string,
  id: string,
): Promise<StoredSubmission | undefined> {
  const row = await db.submission.findFirst({ where: { id, clientId } });
  return row ? toStoredSubmission(row) : undefined;
}

/** A submissions row as a list reads it; Prisma's rows (the detail) have this shape too. */
const SummaryRowSchema = z.object({
  id: z.string(),
  learnerId: z.string(),
  exerciseId: z.string(),
  containerName: z.string(),
  passed: z.boolean(),
  score: z.number(),
  maxScore: z.number(),
  checks: z.unknown(),
  hints: z.unknown(),
  language: z.string(),
  gradedAt: z.date(),
  durationMs: z.number(),
});
type SummaryRow = z.infer<typeof SummaryRowSchema>;

/** The columns a list returns, never `evidence` (the largest, shown only by the detail). */
const SUMMARY_COLUMNS = `id, learner_id AS "learnerId", exercise_id AS "exerciseId", container_name AS "containerName",
  passed, score, max_score AS "maxScore", checks, hints, language,
  graded_at AT TIME ZONE 'UTC' AS "gradedAt", duration_ms AS "durationMs"`;

type ListParams = [clientId: string, learnerId: string, limit: number, ...filterAndCursor: string[]];

/** One prepared statement per shape of list: order, exercise filter, cursor or not. */
const listStatements = new Map<string, Statement<ListParams, SummaryRow>>();

/**
 * A learner's submissions, keyset-paged on (graded_at, id): newest first for people, oldest first
 * for an LRS import. The index (client_id, learner_id, graded_at DESC, id DESC) answers both orders.
 */
export async function listSubmissions(
  { sql }: Storage,
  query: SubmissionListQuery,
  page: PageQuery,
): Promise<Page<StoredSubmissionSummary>> {
  const { statement: list, params } = submissionListStatement(query, page);
  return toPage(await sql.rows(list, params), page, (row) => row.gradedAt, toSubmissionSummary);
}

type SubmissionListQuery = {
  clientId: string;
  learnerId: string;
  exerciseId?: string | undefined;
  order: "newest" | "oldest";
};

/** The statement and parameters of one page; exported so the benchmark can EXPLAIN exactly this SQL. */
export function submissionListStatement(query: SubmissionListQuery, page: PageQuery) {
  const filterParams = query.exerciseId ? [query.exerciseId] : [];
  const keyset = keysetSql("graded_at", query.order === "newest" ? "desc" : "asc", page, 4 + filterParams.length);
  const shape = `${query.order}/${query.exerciseId ? "exercise" : "all"}/${keyset.shape}`;
  let list = listStatements.get(shape);
  if (!list) {
    list = statement<ListParams>()(
      `list-submissions/${shape}`,
      `SELECT ${SUMMARY_COLUMNS} FROM submissions
        WHERE client_id = $1::uuid AND learner_id = $2${query.exerciseId ? " AND exercise_id = $4" : ""}${keyset.condition}
        ORDER BY ${keyset.orderBy} LIMIT $3`,
      SummaryRowSchema,
    );
    listStatements.set(shape, list);
  }
  const params: ListParams = [query.clientId, query.learnerId, keyset.limit, ...filterParams, ...keyset.params];
  return { statement: list, params };
}

const StoredSummarySchema = StoredSubmissionSchema.omit({ evidence: true });

/** Checks that parse as language-neutral are; older rows hold them in the words of their day. */
function toSubmissionSummary(row: SummaryRow): StoredSubmissionSummary {
  const { checks, hints, ...columns } = row;
  const kind = z.array(GradedCheckSchema).safeParse(checks).success ? "neutral" : "localized";
  return StoredSummarySchema.parse({ ...columns, grade: { kind, checks, hints } });
}

function toStoredSubmission(row: SummaryRow & { evidence: unknown }): StoredSubmission {
  return { ...toSubmissionSummary(row), evidence: StoredSubmissionSchema.shape.evidence.parse(row.evidence) };
}
