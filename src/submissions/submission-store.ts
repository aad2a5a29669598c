import { z } from "zod";
import { keysetArgs, toPage } from "../db/keyset.js";
import type { Database } from "../db/prisma.js";
import type { Prisma, Submission as SubmissionRow } from "../generated/prisma/client.js";
import { EvidenceSnapshotSchema, type Grade, GradedCheckSchema, HintRefSchema } from "../grading/grade.js";
import { CheckResultSchema } from "../grading/localize-grade.js";
import { ensureLearner } from "../learners/learners.js";
import { LanguageSchema } from "../schemas/language.js";
import type { Page, PageQuery } from "../schemas/page.js";

/**
 * The only reader and writer of the submissions table. Stored JSON is validated on the way out,
 * so a row that does not hold what we think fails loudly here instead of far away.
 */

/** Grades are stored language-neutral; rows written before that hold text in the language they were graded in. */
const StoredGradeSchema = z.union([
  z.object({ kind: z.literal("neutral"), checks: z.array(GradedCheckSchema), hints: z.array(HintRefSchema) }),
  z.object({ kind: z.literal("localized"), checks: z.array(CheckResultSchema), hints: z.array(z.string()) }),
]);
export type StoredGrade = z.infer<typeof StoredGradeSchema>;

export interface StoredSubmission {
  id: string;
  learnerId: string;
  exerciseId: string;
  containerName: string;
  passed: boolean;
  score: number;
  maxScore: number;
  grade: StoredGrade;
  /** The language the learner asked for when graded: reads and exports use it. */
  language: z.infer<typeof LanguageSchema>;
  evidence: z.infer<typeof EvidenceSnapshotSchema>;
  gradedAt: Date;
  durationMs: number;
}

export interface NewSubmission {
  /** The API client that owns the learner. */
  clientId: string;
  learnerId: string;
  exerciseId: string;
  containerName: string;
  language: z.infer<typeof LanguageSchema>;
  grade: Grade;
  gradedAt: Date;
  durationMs: number;
}

/**
 * Stores a graded attempt and counts it in the learner's progress, in the caller's transaction.
 * Both upserts are single INSERT … ON CONFLICT statements, so concurrent submissions for the same
 * learner and exercise serialize on the row lock and never lose an attempt or lower the best score.
 * A transaction-scoped advisory lock per learner and exercise makes "first pass" exact.
 */
export async function recordSubmission(
  tx: Prisma.TransactionClient,
  submission: NewSubmission,
): Promise<{ stored: StoredSubmission; firstPass: boolean }> {
  const { clientId, learnerId, exerciseId, grade, gradedAt } = submission;
  const passed = grade.status === "passed";
  // Prisma keeps TIMESTAMP columns as UTC wall-clock time; say so explicitly, whatever the session's TimeZone.
  const gradedAtUtc = gradedAt.toISOString();
  await ensureLearner(tx, clientId, learnerId);
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`${clientId}/${learnerId}/${exerciseId}`}, 0))`;
  const before = await tx.exerciseProgress.findUnique({
    where: { clientId_learnerId_exerciseId: { clientId, learnerId, exerciseId } },
    select: { passed: true },
  });
  const created = await tx.submission.create({
    data: {
      clientId,
      learnerId,
      exerciseId,
      containerName: submission.containerName,
      passed,
      score: grade.score,
      maxScore: grade.maxScore,
      checks: grade.checks,
      hints: grade.hints,
      evidence: grade.evidence,
      language: submission.language,
      gradedAt,
      durationMs: submission.durationMs,
    },
  });
  await tx.$executeRaw`
    INSERT INTO exercise_progress
      (client_id, learner_id, exercise_id, attempts, best_score, max_score, passed, first_passed_at, last_submitted_at)
    VALUES
      (${clientId}::uuid, ${learnerId}, ${exerciseId}, 1, ${grade.score}, ${grade.maxScore}, ${passed},
       CASE WHEN ${passed} THEN (${gradedAtUtc}::timestamptz AT TIME ZONE 'UTC') END,
       ${gradedAtUtc}::timestamptz AT TIME ZONE 'UTC')
    ON CONFLICT (client_id, learner_id, exercise_id) DO UPDATE SET
      attempts = exercise_progress.attempts + 1,
      best_score = GREATEST(exercise_progress.best_score, EXCLUDED.best_score),
      max_score = EXCLUDED.max_score,
      passed = exercise_progress.passed OR EXCLUDED.passed,
      first_passed_at = LEAST(exercise_progress.first_passed_at, EXCLUDED.first_passed_at),
      last_submitted_at = GREATEST(exercise_progress.last_submitted_at, EXCLUDED.last_submitted_at)`;
  return { stored: toStoredSubmission(created), firstPass: passed && !before?.passed };
}

/** Another client's submission is answered exactly like a missing one. */
export async function findSubmission(
  db: Database,
  clientId: string,
  id: string,
): Promise<StoredSubmission | undefined> {
  const row = await db.submission.findFirst({ where: { id, clientId } });
  return row ? toStoredSubmission(row) : undefined;
}

/**
 * A learner's submissions, keyset-paged on (gradedAt, id): newest first for people, oldest first
 * for an LRS import.
 */
export async function listSubmissions(
  db: Database,
  query: { clientId: string; learnerId: string; exerciseId?: string | undefined; order: "newest" | "oldest" },
  page: PageQuery,
): Promise<Page<StoredSubmission>> {
  const { where, ...order } = keysetArgs("gradedAt", query.order === "newest" ? "desc" : "asc", page);
  const rows = await db.submission.findMany({
    where: {
      clientId: query.clientId,
      learnerId: query.learnerId,
      ...(query.exerciseId ? { exerciseId: query.exerciseId } : {}),
      ...where,
    },
    ...order,
  });
  return toPage(rows, page, (row) => row.gradedAt, toStoredSubmission);
}

function toStoredSubmission(row: SubmissionRow): StoredSubmission {
  const neutral = z.array(GradedCheckSchema).safeParse(row.checks);
  const grade = StoredGradeSchema.parse(
    neutral.success
      ? { kind: "neutral", checks: neutral.data, hints: row.hints }
      : { kind: "localized", checks: row.checks, hints: row.hints },
  );
  return {
    id: row.id,
    learnerId: row.learnerId,
    exerciseId: row.exerciseId,
    containerName: row.containerName,
    passed: row.passed,
    score: row.score,
    maxScore: row.maxScore,
    grade,
    language: LanguageSchema.parse(row.language),
    evidence: EvidenceSnapshotSchema.parse(row.evidence),
    gradedAt: row.gradedAt,
    durationMs: row.durationMs,
  };
}
