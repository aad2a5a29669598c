import { type Sql, statement } from "../db/sql.js";
import type { Exercise } from "../grading/exercise.js";
import type { GradedSubmission } from "./graded-submission.js";
import { toXapiStatement } from "./xapi.js";

export interface GradeForLms {
  clientId: string;
  submission: GradedSubmission;
  exercise: Exercise;
  /** The xAPI actor account homePage: the client's own, else XAPI_HOMEPAGE. */
  xapiHomePage: string;
}

/**
 * One statement whatever the client has set up, so a grade costs one round trip here: the frozen
 * xAPI statement (kept if one is already frozen), a push of it for the client's LRS if it has one,
 * and a score for each LTI placement of the exercise on a platform the learner launched from.
 * Foreign keys are checked at the end of the statement, after every part has inserted its rows.
 */
const RECORD_GRADE_FOR_LMS = statement<[string, string, string, string, string], never>(
  "record-grade-for-lms",
  `WITH frozen AS (
     INSERT INTO xapi_statements (id, client_id, learner_id, statement)
     VALUES ($1::uuid, $2::uuid, $3, $4::jsonb)
     ON CONFLICT (id) DO NOTHING
   ), pushed AS (
     INSERT INTO lrs_deliveries (id, client_id, statement_id)
     SELECT gen_random_uuid(), client_id, $1::uuid FROM lrs_endpoints WHERE client_id = $2::uuid
   )
   INSERT INTO lti_score_deliveries (id, placement_id, sub, submission_id)
   SELECT gen_random_uuid(), p.id, l.sub, $1::uuid
     FROM lti_learners AS l
     JOIN lti_platforms AS f ON f.id = l.platform_id
     JOIN lti_placements AS p ON p.platform_id = l.platform_id
    WHERE f.client_id = $2::uuid AND l.learner_id = $3 AND p.exercise_id = $5`,
);

/**
 * What a new grade leaves for learning platforms, inside the grade's own transaction. All of it is
 * stored if and only if the grade commits; the delivery worker sends the pushes afterwards.
 */
export async function recordGradeForLms(tx: Sql, grade: GradeForLms): Promise<void> {
  const { clientId, submission, exercise } = grade;
  const statement = toXapiStatement(submission, exercise, { homePage: grade.xapiHomePage });
  await tx.rows(RECORD_GRADE_FOR_LMS, [
    submission.id,
    clientId,
    submission.learnerId,
    JSON.stringify(statement),
    exercise.id,
  ]);
}
