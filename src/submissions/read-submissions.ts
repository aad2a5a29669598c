import type { Curriculum } from "../content/load-curriculum.js";
import type { Storage } from "../db/storage.js";
import { NotFound } from "../errors/domain-errors.js";
import { requireKnownLearner } from "../learners/learners.js";
import type { Page, PageQuery } from "../schemas/page.js";
import { presentSubmission, presentSubmissionDetail } from "./present-submission.js";
import type { Submission, SubmissionDetail } from "./submission-schema.js";
import { findSubmission, listSubmissions } from "./submission-store.js";

interface ReadDeps {
  storage: Storage;
  /** Grades are put into words with the exercise's current text. */
  curriculum: Curriculum;
}

/** One submission of the client's, with the evidence it was graded on. */
export async function readSubmission(deps: ReadDeps, clientId: string, id: string): Promise<SubmissionDetail> {
  const stored = await findSubmission(deps.storage, clientId, id);
  if (!stored) throw new NotFound(`There is no submission ${id}.`);
  return presentSubmissionDetail(stored, deps.curriculum.exercises.get(stored.exerciseId));
}

/** A learner's submissions, newest first, of every exercise or of one. */
export async function learnerSubmissions(
  deps: ReadDeps,
  query: { clientId: string; learnerId: string; exerciseId?: string | undefined },
  page: PageQuery,
): Promise<Page<Submission>> {
  const found = await listSubmissions(deps.storage, { ...query, order: "newest" }, page);
  // A submission belongs to a learner of this client, so only an empty page needs the learner check.
  if (found.items.length === 0) await requireKnownLearner(deps.storage, query.clientId, query.learnerId);
  return {
    items: found.items.map((stored) => presentSubmission(stored, deps.curriculum.exercises.get(stored.exerciseId))),
    nextCursor: found.nextCursor,
  };
}
