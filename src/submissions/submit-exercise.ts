import { randomUUID } from "node:crypto";
import type { Storage } from "../db/storage.js";
import type { DockerEngine } from "../docker/engine.js";
import { CommitOutcomeUnknown, InvalidInput, NotFound } from "../errors/domain-errors.js";
import type { ContainerExercise, Exercise } from "../grading/exercise.js";
import type { Grade } from "../grading/grade.js";
import { type Answers, gradeAnswers, misfitAnswer } from "../grading/grade-answers.js";
import { gradeSubmission } from "../grading/grade-submission.js";
import { isUnobservable } from "../grading/observations.js";
import { completeLessonIfAllPassed, type LessonShape } from "../progress/lesson-completion.js";
import type { Language } from "../schemas/language.js";
import { recordGradeForLms } from "./grade-outbox.js";
import type { GradingAdmission, LeaveGrading } from "./grading-admission.js";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  recordAnswerUnderServiceKey,
  releaseIdempotencyKey,
  requestFingerprint,
} from "./idempotency.js";
import { observeContainer } from "./observe-container.js";
import { apiSubmission, submissionInWords } from "./present-submission.js";
import { submissionEventPayloads } from "./submission-events.js";
import { type Submission, SubmissionSchema } from "./submission-schema.js";
import { asStored, recordSubmission } from "./submission-store.js";

interface SubmitExerciseDeps {
  storage: Storage;
  course: { exercises: ReadonlyMap<string, Exercise>; lessons: readonly LessonShape[] };
  /** The engine that grades this learner: their lab's, or the shared one when the caller holds the grant. */
  engineFor(caller: { clientId: string; mayUseSharedEngine: boolean }, learnerId: string): Promise<DockerEngine>;
  /** Bounds each client's and learner's gradings in flight on the shared engine. */
  admission: GradingAdmission;
}

interface SubmitExerciseInput {
  /** The API client asking; it owns the learner. */
  clientId: string;
  /** Whether the client holds engine:shared: without it, only learners with a lab can be graded. */
  mayUseSharedEngine: boolean;
  exerciseId: string;
  learnerId: string;
  /** Defaults to the exercise's container (for a Compose service, the one Compose made). */
  containerName: string | undefined;
  /** What a learner answered: question exercises only. */
  answers: Answers | undefined;
  language: Language;
  /** With a key, a retry of the same request answers the first answer and stores nothing new. */
  idempotencyKey: string | undefined;
  /** The xAPI actor account homePage frozen into the grade's statement: the client's own, else XAPI_HOMEPAGE. */
  xapiHomePage: string;
}

interface SubmitExerciseResult {
  submission: Submission;
  /** True when this is the stored answer to an earlier request with the same Idempotency-Key. */
  replayed: boolean;
  /** Webhook deliveries this submission put in the outbox: none, and no worker needs waking. */
  enqueued: number;
}

/**
 * Grades a learner's container, or their answers to a question exercise, and records the attempt.
 * Everything the attempt changes commits together: the submission, progress, lesson completion,
 * webhook events and the Idempotency-Key's answer. When the engine cannot be asked, nothing is stored and no attempt is
 * counted: the learner did nothing wrong.
 *
 * The key is claimed in its own statement before the engine is asked, not inside the transaction:
 * a concurrent retry then sees "in progress" at once, and no pooled connection is held while a
 * slow engine answers.
 */
export async function submitExercise(
  deps: SubmitExerciseDeps,
  input: SubmitExerciseInput,
): Promise<SubmitExerciseResult> {
  const exercise = deps.course.exercises.get(input.exerciseId);
  if (!exercise) throw new NotFound(`There is no exercise "${input.exerciseId}". GET /v1/exercises lists them.`);
  const { clientId, learnerId } = input;
  refuseTheOtherKind(exercise, input);
  // The engine is chosen, and the grading admitted on it, before the key is claimed: a refused
  // engine or a caller over its limit stores nothing and asks the engine nothing. Questions need no
  // engine, so no grant either.
  let grade: () => Promise<GradingOutcome>;
  let leave: LeaveGrading = () => {};
  if (exercise.kind === "question") {
    grade = () =>
      Promise.resolve({ containerName: "", grade: gradeAnswers(exercise, input.answers ?? {}), execsStopped: 0 });
  } else {
    const engine = await deps.engineFor({ clientId, mayUseSharedEngine: input.mayUseSharedEngine }, learnerId);
    leave = await deps.admission.enter(engine, { clientId, learnerId });
    grade = containerGrader(engine, exercise, input.containerName);
  }
  let execsStopped: number | undefined;
  try {
    return await gradeAndRecord(deps, input, exercise, async () => {
      const graded = await grade();
      execsStopped = graded.execsStopped;
      return graded;
    });
  } finally {
    leave(execsStopped === undefined ? undefined : { execsStopped });
  }
}

async function gradeAndRecord(
  deps: SubmitExerciseDeps,
  input: SubmitExerciseInput,
  exercise: Exercise,
  grade: () => Promise<GradingOutcome>,
): Promise<SubmitExerciseResult> {
  const { clientId, learnerId, language, idempotencyKey: key } = input;
  const fingerprint = requestFingerprint({
    method: "POST",
    url: `/v1/exercises/${exercise.id}/submissions?lang=${language}`,
    // A container request fingerprints as it always has, so keys stored before questions still replay.
    body: input.answers ? { learnerId, answers: input.answers } : { learnerId, containerName: input.containerName },
  });
  // Without a key, the answer is kept under one the service makes: see recordAnswerUnderServiceKey.
  const retryKey = key ?? `attempt-${randomUUID()}`;
  if (key) {
    const claim = await claimIdempotencyKey(deps.storage.sql, clientId, key, fingerprint);
    if (claim.kind === "replay") {
      return { submission: SubmissionSchema.parse(claim.body), replayed: true, enqueued: 0 };
    }
  }

  try {
    const started = performance.now();
    const graded = await grade();
    const durationMs = Math.round(performance.now() - started);
    const lesson = deps.course.lessons.find((candidate) => candidate.exercises.includes(exercise.id));

    const recorded = await deps.storage.sql.transaction(async (tx) => {
      const newSubmission = {
        id: randomUUID(),
        clientId,
        learnerId,
        exerciseId: exercise.id,
        containerName: graded.containerName,
        language,
        grade: graded.grade,
        gradedAt: new Date(),
        durationMs,
      };
      // The events carry the submission as the API answers it, so it is presented before it is stored.
      const inWords = submissionInWords(asStored(newSubmission), exercise);
      const submission = apiSubmission(inWords);
      const { firstPass, enqueued } = await recordSubmission(tx, newSubmission, submissionEventPayloads(submission));
      // Learning platforms (xAPI statement, LRS and LTI outbox): see grade-outbox.ts.
      const forLms = await recordGradeForLms(tx, {
        clientId,
        submission: inWords,
        exercise,
        xapiHomePage: input.xapiHomePage,
      });
      const completion = firstPass && lesson ? await completeLessonIfAllPassed(tx, { clientId, learnerId, lesson }) : 0;
      if (key) await completeIdempotencyKey(tx, clientId, key, { status: 201, body: submission });
      else await recordAnswerUnderServiceKey(tx, clientId, retryKey, fingerprint, { status: 201, body: submission });
      return { submission, enqueued: enqueued + forLms + completion };
    });
    return { ...recorded, replayed: false };
  } catch (error) {
    // The attempt may be stored: the key stays, and the answer names it (the caller's or the service's).
    if (error instanceof CommitOutcomeUnknown) throw error.retryWith(retryKey);
    if (key) await releaseIdempotencyKey(deps.storage.sql, clientId, key);
    throw error;
  }
}

/**
 * The submissions table names a container for every attempt; an attempt at questions names "".
 * `execsStopped`: the execs that ran into their deadline and were killed (none for questions).
 */
type GradingOutcome = { containerName: string; grade: Grade; execsStopped: number };

function containerGrader(engine: DockerEngine, exercise: ContainerExercise, containerName: string | undefined) {
  return async (): Promise<GradingOutcome> => {
    const observations = await observeContainer(engine, exercise, containerName);
    const execsStopped = Object.values(observations.exec ?? {}).filter(
      (exec) => !isUnobservable(exec) && exec.timedOut,
    ).length;
    return { containerName: observations.containerName, grade: gradeSubmission(exercise, observations), execsStopped };
  };
}

/** Each kind is graded on its own field: the other one is a mistake worth naming, not ignoring. */
function refuseTheOtherKind(exercise: Exercise, input: SubmitExerciseInput) {
  if (exercise.kind === "container") {
    if (input.answers) {
      throw new InvalidInput("body.answers", "this exercise grades a container: send containerName, or nothing");
    }
    return;
  }
  if (input.containerName !== undefined) {
    throw new InvalidInput("body.containerName", "this exercise grades answers, not a container: send answers");
  }
  if (!input.answers) throw new InvalidInput("body.answers", "required: this exercise grades answers");
  const misfit = misfitAnswer(exercise, input.answers);
  if (misfit) throw new InvalidInput(misfit.path, misfit.problem);
}
