import type { Database } from "../db/prisma.js";
import type { Prisma, Submission as SubmissionRow } from "../generated/prisma/client.js";
import type { CheckResult, Grade } from "../grading/grade-submission.js";
import { decodeCursor, type PageQuery, toPage } from "../http/pagination.js";
import type { Language } from "../i18n/language.js";
import type { Submission, SubmissionDetail } from "./submission-schema.js";

export interface NewSubmission {
  /** The API client that owns the learner. */
  clientId: string;
  learnerId: string;
  exerciseId: string;
  containerName: string;
  language: Language;
  grade: Grade;
  gradedAt: Date;
  durationMs: number;
}

/**
 * Submissions for one learner and exercise queue on a lock, so under load a transaction may wait
 * longer than Prisma's defaults (2 s for a connection, 5 s in all) before it can finish.
 */
const TRANSACTION_LIMITS = { maxWait: 10_000, timeout: 20_000 };

/** What else must commit with a submission: webhook events, the idempotency record, lesson completion. */
export type OnRecorded = (
  tx: Prisma.TransactionClient,
  recorded: { submission: Submission; firstPass: boolean },
) => Promise<void>;

/**
 * Stores a graded attempt and counts it in the learner's progress, atomically. Both upserts are
 * single INSERT … ON CONFLICT statements, so concurrent submissions for the same learner and
 * exercise serialize on the row lock and never lose an attempt or lower the best score.
 * A transaction-scoped advisory lock per learner and exercise makes "first pass" exact.
 */
export async function recordSubmission(
  db: Database,
  submission: NewSubmission,
  onRecorded?: OnRecorded,
): Promise<Submission> {
  const { clientId, learnerId, exerciseId, grade, gradedAt } = submission;
  const passed = grade.status === "passed";
  // Prisma keeps TIMESTAMP columns as UTC wall-clock time; say so explicitly, whatever the session's TimeZone.
  const gradedAtUtc = gradedAt.toISOString();
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`INSERT INTO learners (client_id, id) VALUES (${clientId}::uuid, ${learnerId}) ON CONFLICT DO NOTHING`;
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
        checks: grade.checks as unknown as Prisma.InputJsonValue,
        hints: grade.hints,
        evidence: grade.evidence as unknown as Prisma.InputJsonValue,
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
    const recorded = toSubmission(created);
    await onRecorded?.(tx, { submission: recorded, firstPass: passed && !before?.passed });
    return recorded;
  }, TRANSACTION_LIMITS);
}

/** Another client's submission is answered exactly like a missing one. */
export async function findSubmission(
  db: Database,
  clientId: string,
  id: string,
): Promise<SubmissionDetail | undefined> {
  const row = await db.submission.findFirst({ where: { id, clientId } });
  if (!row) return undefined;
  return {
    ...toSubmission(row),
    language: row.language as Language,
    evidence: row.evidence as Record<string, unknown>,
  };
}

/** Newest first; keyset-paged on (gradedAt, id), which the (client_id, learner_id, exercise_id, graded_at) index serves. */
export async function listLearnerSubmissions(
  db: Database,
  clientId: string,
  learnerId: string,
  query: PageQuery & { exerciseId?: string | undefined },
): Promise<{ items: Submission[]; nextCursor: string | null }> {
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const rows = await db.submission.findMany({
    where: {
      clientId,
      learnerId,
      ...(query.exerciseId ? { exerciseId: query.exerciseId } : {}),
      ...(after ? { OR: [{ gradedAt: { lt: after.at } }, { gradedAt: after.at, id: { lt: after.id } }] } : {}),
    },
    orderBy: [{ gradedAt: "desc" }, { id: "desc" }],
    take: query.limit + 1,
  });
  return toPage(rows, query.limit, (row) => ({ at: row.gradedAt, id: row.id }), toSubmission);
}

export function toSubmission(row: SubmissionRow): Submission {
  return {
    id: row.id,
    exerciseId: row.exerciseId,
    learnerId: row.learnerId,
    containerName: row.containerName,
    status: row.passed ? "passed" : "failed",
    score: row.score,
    maxScore: row.maxScore,
    checks: row.checks as unknown as CheckResult[],
    hints: row.hints as string[],
    gradedAt: row.gradedAt.toISOString(),
    durationMs: row.durationMs,
  };
}
