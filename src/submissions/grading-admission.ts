import type { DockerEngine } from "../docker/engine.js";
import { TooManyGradingsInFlight } from "../errors/domain-errors.js";

/**
 * A slot frees as soon as any grading in flight ends, which is usually well under a second (an
 * exec's deadline bounds the slow ones): one second is the shortest wait Retry-After can say.
 */
const RETRY_AFTER_SECONDS = 1;

export interface GradingAdmission {
  /**
   * Counts one grading on `engine` as in flight until the returned `leave` is called, or refuses it
   * with TooManyGradingsInFlight. Only the shared engine is counted: a learner's lab engine serves
   * that learner alone, so their load there slows nobody else.
   */
  enter(engine: DockerEngine, caller: { clientId: string; learnerId: string }): () => void;
}

/** Gradings in flight on the shared engine, per client and per learner, counted in this replica's memory. */
export function createGradingAdmission(options: {
  sharedEngine: DockerEngine;
  perClient: number;
  perLearner: number;
}): GradingAdmission {
  const inFlight = new Map<string, number>();
  const count = (key: string) => inFlight.get(key) ?? 0;
  const add = (key: string, delta: number) => {
    const next = count(key) + delta;
    if (next === 0) inFlight.delete(key);
    else inFlight.set(key, next);
  };

  return {
    enter(engine, { clientId, learnerId }) {
      if (engine !== options.sharedEngine) return () => {};
      const client = `client ${clientId}`;
      const learner = `learner ${clientId}/${learnerId}`;
      if (count(learner) >= options.perLearner) {
        throw new TooManyGradingsInFlight(RETRY_AFTER_SECONDS, options.perLearner, "learner");
      }
      if (count(client) >= options.perClient) {
        throw new TooManyGradingsInFlight(RETRY_AFTER_SECONDS, options.perClient, "client");
      }
      add(client, 1);
      add(learner, 1);
      let left = false;
      return () => {
        if (left) return;
        left = true;
        add(client, -1);
        add(learner, -1);
      };
    },
  };
}
