import type { Database } from "../db/prisma.js";
import type { DockerEngine } from "../docker/engine.js";
import { EngineUnavailableError } from "../docker/errors.js";
import { serviceUnavailable } from "../errors/problem.js";
import type { Exercise } from "../grading/exercise.js";
import { gradeSubmission } from "../grading/grade-submission.js";
import type { Language } from "../i18n/language.js";
import { observeContainer } from "./observe-container.js";
import type { Submission } from "./submission-schema.js";
import { type OnRecorded, recordSubmission } from "./submission-store.js";

const ENGINE_RETRY_AFTER_SECONDS = 10;

/**
 * Grades a learner's container for one exercise and records the attempt. When the engine cannot
 * be asked, nothing is stored and no attempt is counted: the learner did nothing wrong.
 */
export async function submitExercise(
  deps: { db: Database; engine: DockerEngine },
  input: { clientId: string; exercise: Exercise; learnerId: string; containerName: string; language: Language },
  onRecorded?: OnRecorded,
): Promise<Submission> {
  const started = performance.now();
  let observations: Awaited<ReturnType<typeof observeContainer>>;
  try {
    observations = await observeContainer(deps.engine, input.exercise, input.containerName);
  } catch (error) {
    if (!(error instanceof EngineUnavailableError)) throw error;
    throw serviceUnavailable(
      `The Docker engine at ${error.engine} is unavailable (${error.reason}). Nothing was stored; try again shortly.`,
      ENGINE_RETRY_AFTER_SECONDS,
      { dependency: "docker", engine: error.engine },
    );
  }
  const grade = gradeSubmission(input.exercise, observations, input.language);
  const durationMs = Math.round(performance.now() - started);
  return recordSubmission(
    deps.db,
    {
      clientId: input.clientId,
      learnerId: input.learnerId,
      exerciseId: input.exercise.id,
      containerName: input.containerName,
      language: input.language,
      grade,
      gradedAt: new Date(),
      durationMs,
    },
    onRecorded,
  );
}
