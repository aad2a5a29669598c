import { NO_ROWS, type Sql, statement } from "../db/sql.js";
import type { Storage } from "../db/storage.js";
import { NotFound } from "../errors/domain-errors.js";
import type { Prisma } from "../generated/prisma/client.js";

/**
 * Learner ids are the LMS's own, namespaced by the API client that created them: a learner another
 * client created is, for the caller, a learner that does not exist. The answer is the same 404.
 */
export async function requireKnownLearner({ prisma: db }: Storage, clientId: string, learnerId: string): Promise<void> {
  const learner = await db.learner.findUnique({
    where: { clientId_id: { clientId, id: learnerId } },
    select: { id: true },
  });
  if (!learner) throw unknownLearner(learnerId);
}

/** The one answer for a learner this client never used, whichever query found out. */
export function unknownLearner(learnerId: string): NotFound {
  return new NotFound(
    `This API client has no learner "${learnerId}". Learners appear with their first submission, lesson completion or lab.`,
  );
}

/** Creates the learner on first contact, a no-op afterwards: $1 the client, $2 the learner. Other statements embed it. */
export const INSERT_LEARNER_SQL = "INSERT INTO learners (client_id, id) VALUES ($1::uuid, $2) ON CONFLICT DO NOTHING";

const insertLearner = statement<[clientId: string, learnerId: string]>()("insert-learner", INSERT_LEARNER_SQL, NO_ROWS);

/** In a pg transaction (lesson completion) or a Prisma one (setting a lab): one SQL text for both. */
export async function ensureLearner(tx: Prisma.TransactionClient | Sql, clientId: string, learnerId: string) {
  if ("rows" in tx) await tx.rows(insertLearner, [clientId, learnerId]);
  else await tx.$executeRawUnsafe(INSERT_LEARNER_SQL, clientId, learnerId);
}
