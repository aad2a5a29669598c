import type { AuthenticatedClient } from "../clients/api-clients.js";
import type { Curriculum } from "../content/load-curriculum.js";
import type { Storage } from "../db/storage.js";
import { NotFound } from "../errors/domain-errors.js";
import type { Exercise } from "../grading/exercise.js";
import { requireKnownLearner } from "../learners/learners.js";
import { subOfLearner } from "../lti/placements.js";
import type { Page, PageQuery } from "../schemas/page.js";
import { type EXPORT_FORMATS, GRADE_EXPORTS } from "./exports/grade-exports.js";
import { toXapiStatement, type XapiStatement } from "./exports/xapi.js";
import { findFrozenStatements, freezeStatement } from "./exports/xapi-statement-store.js";
import { submissionInWords } from "./present-submission.js";
import type { StoredSubmissionSummary } from "./submission-schema.js";
import { findSubmission, listSubmissions } from "./submission-store.js";

export interface ExportDeps {
  storage: Storage;
  curriculum: Curriculum;
  /** XAPI_HOMEPAGE: the xAPI actor account homePage of a client that names none. */
  xapiHomePage: string;
}

export interface ExportRequest {
  submissionId: string;
  format: (typeof EXPORT_FORMATS)[number];
  /** XQueue: the edX problem's max points. */
  maxPoints?: number | undefined;
  /** Gradescope: show students each check's expected and actual values. */
  showExpected: boolean;
}

/**
 * One stored grade of the client's in an LMS or autograder format. The xAPI statement is the one
 * frozen when the grade was made (or the first time it was read), so every export of it is the same;
 * an LTI AGS score names the learner by the platform's sub, the only userId a platform accepts.
 */
export async function exportSubmission(deps: ExportDeps, client: AuthenticatedClient, request: ExportRequest) {
  const stored = await findSubmission(deps.storage, client.id, request.submissionId);
  if (!stored) throw new NotFound(`There is no submission ${request.submissionId}.`);
  const exercise = exportedExercise(deps, stored.exerciseId);
  const format = GRADE_EXPORTS[request.format];
  if (request.format === "xapi") {
    const [statement] = await frozenStatementsOf(deps, client, [stored]);
    if (!statement) throw new Error(`statement ${stored.id} is missing`);
    return { mediaType: format.mediaType, document: statement };
  }
  const options = {
    homePage: client.homePage ?? deps.xapiHomePage,
    maxPoints: request.maxPoints,
    showExpected: request.showExpected,
    userId: request.format === "lti-ags" ? await subOfLearner(deps.storage, client.id, stored.learnerId) : undefined,
  };
  return {
    mediaType: format.mediaType,
    document: format.render(submissionInWords(stored, exercise), exercise, options),
  };
}

/** A learner's xAPI statements, one per graded submission, oldest first, as an LRS imports them. */
export async function learnerStatements(
  deps: ExportDeps,
  client: AuthenticatedClient,
  learnerId: string,
  page: PageQuery,
): Promise<Page<XapiStatement>> {
  const found = await listSubmissions(deps.storage, { clientId: client.id, learnerId, order: "oldest" }, page);
  // A submission belongs to a learner of this client, so only an empty page needs the learner check.
  if (found.items.length === 0) await requireKnownLearner(deps.storage, client.id, learnerId);
  return { items: await frozenStatementsOf(deps, client, found.items), nextCursor: found.nextCursor };
}

/**
 * The frozen statements of these submissions, in their order. One without a statement yet (a grade
 * made before statements were stored) gets it rendered and frozen now, and every statement is read
 * back: two readers racing to freeze the same one both answer whichever row committed.
 */
async function frozenStatementsOf(
  deps: ExportDeps,
  client: AuthenticatedClient,
  submissions: readonly StoredSubmissionSummary[],
): Promise<XapiStatement[]> {
  const ids = submissions.map((submission) => submission.id);
  let frozen = await findFrozenStatements(deps.storage, client.id, ids);
  const unfrozen = submissions.filter((submission) => !frozen.has(submission.id));
  if (unfrozen.length > 0) {
    const homePage = client.homePage ?? deps.xapiHomePage;
    for (const submission of unfrozen) {
      const exercise = exportedExercise(deps, submission.exerciseId);
      const statement = toXapiStatement(submissionInWords(submission, exercise), exercise, { homePage });
      await freezeStatement(deps.storage, { clientId: client.id, learnerId: submission.learnerId }, statement);
    }
    frozen = await findFrozenStatements(deps.storage, client.id, ids);
  }
  return ids.map((id) => {
    const statement = frozen.get(id);
    if (!statement) throw new Error(`statement ${id} was frozen but cannot be read back`);
    return statement;
  });
}

function exportedExercise(deps: ExportDeps, exerciseId: string): Exercise {
  const exercise = deps.curriculum.exercises.get(exerciseId);
  if (!exercise) {
    throw new NotFound(`Exercise "${exerciseId}" is no longer in the course; its grades cannot be exported.`);
  }
  return exercise;
}
