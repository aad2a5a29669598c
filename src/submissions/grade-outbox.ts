import { z } from "zod";
import { NO_ROWS, type Sql, statement } from "../db/sql.js";
import { LtiGradePolicy } from "../generated/prisma/enums.js";
import type { Exercise } from "../grading/exercise.js";
import { type LtiAgsScore, toLtiAgsScore } from "./exports/lti-ags.js";
import { toXapiStatement } from "./exports/xapi.js";
import type { SubmissionInWords } from "./submission-schema.js";

interface GradeForLms {
  clientId: string;
  submission: SubmissionInWords;
  exercise: Exercise;
  /** The xAPI actor account homePage: the client's own, else XAPI_HOMEPAGE. */
  xapiHomePage: string;
}

/**
 * The frozen xAPI statement (kept if one is already frozen) and a push of it for the client's LRS if
 * it has one, in one round trip. Answers how many pushes were enqueued.
 */
const RECORD_STATEMENT = statement<[id: string, clientId: string, learnerId: string, statement: string]>()(
  "record-grade-statement",
  `WITH frozen AS (
     INSERT INTO xapi_statements (id, client_id, learner_id, statement)
     VALUES ($1::uuid, $2::uuid, $3, $4::jsonb)
     ON CONFLICT (id) DO NOTHING
   ), pushed AS (
     INSERT INTO lrs_deliveries (id, client_id, statement_id)
     SELECT gen_random_uuid(), client_id, $1::uuid FROM lrs_endpoints WHERE client_id = $2::uuid
     RETURNING 1
   )
   SELECT count(*)::int AS enqueued FROM pushed`,
  z.object({ enqueued: z.number() }),
);

/**
 * Where the learner is: the placement of this exercise that the learner last launched as a Learner
 * (its course and resource link). Launches without the Learner role are never recorded, so an
 * instructor's own attempts find nothing here. The launch row is locked until the grade commits:
 * two grades of one learner for one line item are frozen one after the other, never in one second.
 */
const PLACEMENT_OF_LEARNER = statement<[clientId: string, learnerId: string, exerciseId: string]>()(
  "placement-of-learner",
  `SELECT p.id AS "placementId", l.sub, p.grade_policy AS "gradePolicy"
     FROM lti_launches AS l
     JOIN lti_placements AS p ON p.id = l.placement_id
     JOIN lti_platforms AS f ON f.id = p.platform_id
     JOIN lti_learners AS who ON who.platform_id = p.platform_id AND who.sub = l.sub
    WHERE f.client_id = $1::uuid AND who.learner_id = $2 AND p.exercise_id = $3
    ORDER BY l.launched_at DESC
    LIMIT 1
      FOR UPDATE OF l`,
  z.object({ placementId: z.string(), sub: z.string(), gradePolicy: z.enum(LtiGradePolicy) }),
);

/** What this learner's scores for the line item so far say, read after the lock above is held. */
const SCORES_SO_FAR = statement<
  [placementId: string, sub: string, clientId: string, learnerId: string, exerciseId: string, submissionId: string]
>()(
  "lti-scores-so-far",
  `SELECT (SELECT max(s.score) FROM submissions AS s
            WHERE s.client_id = $3::uuid AND s.learner_id = $4 AND s.exercise_id = $5 AND s.id <> $6::uuid)
            AS "priorBest",
          (SELECT max((d.score ->> 'scoreGiven')::float8) FROM lti_score_deliveries AS d
            WHERE d.placement_id = $1::uuid AND d.sub = $2 AND d.status IN ('pending', 'delivered')) AS "sentBest",
          (SELECT max((d.score ->> 'timestamp')::timestamptz) FROM lti_score_deliveries AS d
            WHERE d.placement_id = $1::uuid AND d.sub = $2) AS "lastTimestamp",
          EXISTS (SELECT 1 FROM lti_score_deliveries AS d
                   WHERE d.placement_id = $1::uuid AND d.sub = $2 AND d.status = 'delivered') AS regrade`,
  z.object({
    /** The learner's best score before this attempt, on any path (null: this is the first). */
    priorBest: z.number().nullable(),
    /** The highest score queued or delivered to this line item for the learner (null: none yet). */
    sentBest: z.number().nullable(),
    /**
     * The newest frozen timestamp for this learner and line item: the next must be a whole second later.
     * The newest by value, not by row: rows are made in the order their grades took the lock, which need
     * not be the order their transactions began (created_at).
     */
    lastTimestamp: z.date().nullable(),
    /** A score already reached the gradebook: Canvas must not count the next one as a new attempt. */
    regrade: z.boolean(),
  }),
);

/** Only the newest score for a learner and line item is sent: a pending older one stands aside. */
const SUPERSEDE_PENDING = statement<[placementId: string, sub: string]>()(
  "supersede-pending-scores",
  `UPDATE lti_score_deliveries SET status = 'superseded', settled_at = now()
    WHERE placement_id = $1::uuid AND sub = $2 AND status = 'pending'`,
  NO_ROWS,
);

const ENQUEUE_SCORE = statement<[placementId: string, sub: string, submissionId: string, score: string]>()(
  "enqueue-lti-score",
  `INSERT INTO lti_score_deliveries (id, placement_id, sub, submission_id, score)
   VALUES (gen_random_uuid(), $1::uuid, $2, $3::uuid, $4::jsonb)`,
  NO_ROWS,
);

/** Canvas's AGS extension: without it, every score posted counts as a new submission attempt. */
const CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission";

/**
 * The timestamp a score is frozen with. Moodle keeps whole seconds and refuses a score not newer than
 * the one it holds, so two scores for one learner and line item never share a second: the later one
 * moves to the next whole second when needed.
 */
function frozenTimestamp(gradedAt: Date, lastTimestamp: Date | null): Date {
  if (lastTimestamp === null) return gradedAt;
  const nextSecond = Math.floor(lastTimestamp.getTime() / 1000) * 1000 + 1000;
  return new Date(Math.max(gradedAt.getTime(), nextSecond));
}

/**
 * The AGS score this grade sends, if any, written in the grade's transaction with its timestamp: a
 * retry sends the same body, so it can never be newer than what replaced it at the platform. Under
 * `best`, only a new best is sent, and it describes its own attempt; a lower grade sends nothing.
 */
async function enqueueLtiScore(tx: Sql, grade: GradeForLms): Promise<number> {
  const { clientId, submission, exercise } = grade;
  const [where] = await tx.rows(PLACEMENT_OF_LEARNER, [clientId, submission.learnerId, exercise.id]);
  if (!where) return 0;
  const [sent] = await tx.rows(SCORES_SO_FAR, [
    where.placementId,
    where.sub,
    clientId,
    submission.learnerId,
    exercise.id,
    submission.id,
  ]);
  if (!sent) return 0;
  if (where.gradePolicy === "best") {
    const isBestSoFar = sent.priorBest === null || submission.score >= sent.priorBest;
    const isNewToGradebook = sent.sentBest === null || submission.score > sent.sentBest;
    if (!isBestSoFar || !isNewToGradebook) return 0;
  }
  const score: LtiAgsScore & { [CANVAS_SUBMISSION]?: { new_submission: boolean } } = {
    ...toLtiAgsScore(submission, exercise, {
      userId: where.sub,
      timestamp: frozenTimestamp(new Date(submission.gradedAt), sent.lastTimestamp),
    }),
    ...(sent.regrade ? { [CANVAS_SUBMISSION]: { new_submission: false } } : {}),
  };
  await tx.rows(SUPERSEDE_PENDING, [where.placementId, where.sub]);
  await tx.rows(ENQUEUE_SCORE, [where.placementId, where.sub, submission.id, JSON.stringify(score)]);
  return 1;
}

/**
 * What a new grade leaves for learning platforms, inside the grade's own transaction. All of it is
 * stored if and only if the grade commits; the delivery worker sends it afterwards. Answers how
 * many deliveries were enqueued (0: no worker needs poking).
 */
export async function recordGradeForLms(tx: Sql, grade: GradeForLms): Promise<number> {
  const { clientId, submission, exercise } = grade;
  const statement = toXapiStatement(submission, exercise, { homePage: grade.xapiHomePage });
  const [pushed] = await tx.rows(RECORD_STATEMENT, [
    submission.id,
    clientId,
    submission.learnerId,
    JSON.stringify(statement),
  ]);
  return (pushed?.enqueued ?? 0) + (await enqueueLtiScore(tx, grade));
}
