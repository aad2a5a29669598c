import { z } from "zod";
import type { SubmissionInWords } from "../submission-schema.js";
import { type ExportedExercise, plainTextSummary } from "./graded-submission.js";

/**
 * An LTI 1.3 Assignment and Grade Services score, as POSTed to a line item's `/scores`
 * (media type application/vnd.ims.lis.v1.score+json). Fields from the AGS score publish service.
 */
export const LtiAgsScoreSchema = z
  .strictObject({
    userId: z.string().min(1).describe("The platform's id for the learner (the LTI `sub`); our learnerId"),
    scoreGiven: z.number().min(0),
    scoreMaximum: z.number().positive(),
    comment: z.string().optional(),
    timestamp: z.iso
      .datetime({ offset: true, precision: 3 })
      .describe("When the score was produced, subsecond precision"),
    activityProgress: z.enum(["Initialized", "Started", "InProgress", "Submitted", "Completed"]),
    gradingProgress: z.enum(["FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"]),
    submission: z
      .strictObject({
        startedAt: z.iso.datetime({ offset: true }).optional(),
        submittedAt: z.iso.datetime({ offset: true }).optional(),
      })
      .optional(),
  })
  .meta({ id: "LtiAgsScore" });
export type LtiAgsScore = z.infer<typeof LtiAgsScoreSchema>;

/**
 * A failed attempt may be retried, so it is Submitted; a passed one is Completed. Always fully graded.
 * Platforms accept only the launch's `sub` as userId, and refuse (Moodle 409, Canvas 400) a timestamp
 * not newer than the score they hold, so a push passes the sub and the timestamp it was frozen with
 * (see submissions/grade-outbox.ts); the attempt's own time stays in submission.submittedAt.
 */
export function toLtiAgsScore(
  submission: SubmissionInWords,
  exercise: ExportedExercise,
  options: { userId?: string | undefined; timestamp?: Date | undefined } = {},
): LtiAgsScore {
  return {
    userId: options.userId ?? submission.learnerId,
    scoreGiven: submission.score,
    // AGS requires a positive maximum; an exercise worth no points reports 1/1 or 0/1.
    scoreMaximum: submission.maxScore > 0 ? submission.maxScore : 1,
    comment: plainTextSummary(submission, exercise),
    timestamp: options.timestamp?.toISOString() ?? submission.gradedAt,
    activityProgress: submission.status === "passed" ? "Completed" : "Submitted",
    gradingProgress: "FullyGraded",
    submission: { submittedAt: submission.gradedAt },
  };
}
