import type { Database } from "../db/prisma.js";
import type { Submission as SubmissionRow } from "../generated/prisma/client.js";
import type { CheckResult } from "../grading/grade-submission.js";
import { decodeCursor, type PageQuery, toPage } from "../http/pagination.js";
import type { Language } from "../i18n/language.js";
import type { GradedSubmission } from "./graded-submission.js";

export function toGradedSubmission(row: SubmissionRow): GradedSubmission {
  return {
    id: row.id,
    learnerId: row.learnerId,
    exerciseId: row.exerciseId,
    passed: row.passed,
    score: row.score,
    maxScore: row.maxScore,
    checks: row.checks as unknown as CheckResult[],
    hints: row.hints as string[],
    language: row.language as Language,
    gradedAt: row.gradedAt,
    durationMs: row.durationMs,
  };
}

/** One of the client's submissions; another client's is answered exactly like a missing one. */
export async function findGradedSubmission(
  db: Database,
  clientId: string,
  id: string,
): Promise<GradedSubmission | undefined> {
  const row = await db.submission.findFirst({ where: { id, clientId } });
  return row ? toGradedSubmission(row) : undefined;
}

/** A learner's submissions oldest first, the order an LRS import wants; keyset-paged on (gradedAt, id). */
export async function listGradedSubmissions(db: Database, clientId: string, learnerId: string, page: PageQuery) {
  const after = page.cursor ? decodeCursor(page.cursor) : undefined;
  const rows = await db.submission.findMany({
    where: {
      clientId,
      learnerId,
      ...(after ? { OR: [{ gradedAt: { gt: after.at } }, { gradedAt: after.at, id: { gt: after.id } }] } : {}),
    },
    orderBy: [{ gradedAt: "asc" }, { id: "asc" }],
    take: page.limit + 1,
  });
  return toPage(rows, page.limit, (row) => ({ at: row.gradedAt, id: row.id }), toGradedSubmission);
}
