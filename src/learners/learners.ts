import type { Database } from "../db/prisma.js";
import { NotFound } from "../errors/domain-errors.js";
import type { Prisma } from "../generated/prisma/client.js";

/**
 * Learner ids are the LMS's own, namespaced by the API client that created them: a learner another
 * client created is, for the caller, a learner that does not exist. The answer is the same 404.
 */
export async function requireKnownLearner(db: Database, clientId: string, learnerId: string): Promise<void> {
  const learner = await db.learner.findUnique({
    where: { clientId_id: { clientId, id: learnerId } },
    select: { id: true },
  });
  if (!learner) {
    throw new NotFound(
      `This API client has no learner "${learnerId}". Learners appear with their first submission, lesson completion or lab.`,
    );
  }
}

/** Creates the learner on first contact; a no-op afterwards. */
export async function ensureLearner(tx: Prisma.TransactionClient, clientId: string, learnerId: string): Promise<void> {
  await tx.$executeRaw`INSERT INTO learners (client_id, id) VALUES (${clientId}::uuid, ${learnerId}) ON CONFLICT DO NOTHING`;
}
