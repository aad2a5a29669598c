import type { Prisma } from "../generated/prisma/client.js";
import type { Exercise } from "../grading/exercise.js";
import type { StoredSubmission } from "../submissions/submission-store.js";
import { toGradedSubmission } from "./graded-submission.js";
import { toXapiStatement } from "./xapi.js";
import { freezeStatement } from "./xapi-statement-store.js";

export interface GradeForLms {
  clientId: string;
  stored: StoredSubmission;
  exercise: Exercise;
  /** The xAPI actor account homePage: the client's own, else XAPI_HOMEPAGE. */
  xapiHomePage: string;
}

/**
 * What a new grade leaves for learning platforms, inside the grade's own transaction: its xAPI
 * statement, frozen as it reads now, a push of it to the client's LRS if it has one, and a score for
 * each LTI placement of the exercise the learner can be graded in. All are stored if and only if the
 * grade commits; the delivery worker sends the pushes afterwards.
 */
export async function recordGradeForLms(tx: Prisma.TransactionClient, grade: GradeForLms): Promise<void> {
  const { clientId, stored, exercise } = grade;
  const statement = toXapiStatement(toGradedSubmission(stored, exercise), exercise, { homePage: grade.xapiHomePage });
  await freezeStatement(tx, { clientId, learnerId: stored.learnerId }, statement);
  // One statement whether or not the client has an LRS: no extra round trip on the grading path.
  await tx.$executeRaw`
    INSERT INTO lrs_deliveries (id, client_id, statement_id)
    SELECT gen_random_uuid(), client_id, ${stored.id}::uuid FROM lrs_endpoints WHERE client_id = ${clientId}::uuid`;
  // A score for each course placement of this exercise on a platform the learner launched from.
  await tx.$executeRaw`
    INSERT INTO lti_score_deliveries (id, placement_id, sub, submission_id)
    SELECT gen_random_uuid(), p.id, l.sub, ${stored.id}::uuid
      FROM lti_learners AS l
      JOIN lti_platforms AS f ON f.id = l.platform_id
      JOIN lti_placements AS p ON p.platform_id = l.platform_id
     WHERE f.client_id = ${clientId}::uuid AND l.learner_id = ${stored.learnerId} AND p.exercise_id = ${exercise.id}`;
}
