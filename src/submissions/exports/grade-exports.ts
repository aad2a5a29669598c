import type { z } from "zod";
import type { SubmissionInWords } from "../submission-schema.js";
import type { ExportedExercise } from "./graded-submission.js";
import { GradescopeResultsSchema, toGradescopeResults } from "./gradescope.js";
import { LtiAgsScoreSchema, toLtiAgsScore } from "./lti-ags.js";
import { PrairieLearnResultsSchema, toPrairieLearnResults } from "./prairielearn.js";
import { toXapiStatement, XapiStatementSchema } from "./xapi.js";
import { toXqueueReply, XqueueReplySchema } from "./xqueue.js";

interface ExportOptions {
  /** The xAPI actor account homePage: the client's own, else XAPI_HOMEPAGE. */
  homePage: string;
  /** XQueue: the edX problem's max points, when they are not the exercise's own. */
  maxPoints?: number | undefined;
  /** LTI AGS: the platform's id for the learner (the launch's sub), when the learner came through LTI. */
  userId?: string | undefined;
  /** Gradescope: show students the expected and actual values (hidden by default). */
  showExpected?: boolean | undefined;
}

interface GradeExport {
  schema: z.ZodType;
  mediaType: string;
  render(submission: SubmissionInWords, exercise: ExportedExercise, options: ExportOptions): unknown;
}

export const EXPORT_FORMATS = ["lti-ags", "xapi", "gradescope", "prairielearn", "xqueue"] as const;
type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** One stored result, many formats: each entry is a pure function and the schema its output obeys. */
export const GRADE_EXPORTS = {
  "lti-ags": {
    schema: LtiAgsScoreSchema,
    mediaType: "application/vnd.ims.lis.v1.score+json",
    render: (submission, exercise, options) => toLtiAgsScore(submission, exercise, { userId: options.userId }),
  },
  xapi: { schema: XapiStatementSchema, mediaType: "application/json", render: toXapiStatement },
  gradescope: { schema: GradescopeResultsSchema, mediaType: "application/json", render: toGradescopeResults },
  prairielearn: { schema: PrairieLearnResultsSchema, mediaType: "application/json", render: toPrairieLearnResults },
  xqueue: { schema: XqueueReplySchema, mediaType: "application/json", render: toXqueueReply },
} as const satisfies Record<ExportFormat, GradeExport>;
