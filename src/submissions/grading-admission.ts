import type { DockerEngine } from "../docker/engine.js";
import { TooManyGradingsInFlight } from "../errors/domain-errors.js";

/**
 * A slot frees as soon as any grading in flight ends, which is usually well under a second (an
 * exec's deadline bounds the slow ones): one second is the shortest wait Retry-After can say.
 */
const RETRY_AFTER_SECONDS = 1;

/**
 * How many gradings may wait for each one allowed in flight. An autograder's burst for one class
 * waits its turn instead of being refused; a client that sends faster than its gradings end fills
 * its own queue and is refused, and nobody else waits behind it.
 */
const WAITING_PER_SLOT = 4;

/** How a grading went, as far as its admission cares: the execs it had to stop at their deadline. */
export interface GradingOutcome {
  execsStopped: number;
}

/** Ends a grading's turn in flight; with its outcome once it was graded, without when it failed. */
export type LeaveGrading = (outcome?: GradingOutcome) => void;

export interface GradingAdmission {
  /**
   * Counts one grading on `engine` as in flight until the returned `leave` is called. Over the
   * caller's limit it waits in its client's queue, first come first served, for at most `maxWaitMs`;
   * a full queue, or a wait that runs out, is TooManyGradingsInFlight. Only the shared engine is
   * counted: a learner's lab engine serves that learner alone, so their load there slows nobody else.
   *
   * A learner whose last grading had to stop an exec at its deadline gets one grading in flight, not
   * perLearner, until a grading of theirs needs no stopping: each stopped exec costs the shared engine
   * a second exec (the kill), and such gradings come in bursts that everyone else's gradings wait behind.
   */
  enter(engine: DockerEngine, caller: { clientId: string; learnerId: string }): Promise<LeaveGrading>;
}

interface Waiter {
  learner: string;
  admit(): void;
}

/** Gradings in flight on the shared engine, per client and per learner, counted in this replica's memory. */
export function createGradingAdmission(options: {
  sharedEngine: DockerEngine;
  perClient: number;
  perLearner: number;
  maxWaitMs: number;
}): GradingAdmission {
  const inFlight = new Map<string, number>();
  const waiting = new Map<string, Waiter[]>();
  /** Learners whose last grading stopped an exec at its deadline. */
  const stopping = new Set<string>();
  const learnerLimit = (learner: string) => (stopping.has(learner) ? 1 : options.perLearner);
  const count = (key: string) => inFlight.get(key) ?? 0;
  const add = (key: string, delta: number) => {
    const next = count(key) + delta;
    if (next === 0) inFlight.delete(key);
    else inFlight.set(key, next);
  };
  const hasRoom = (client: string, learner: string) =>
    count(client) < options.perClient && count(learner) < learnerLimit(learner);

  const occupy = (client: string, learner: string): LeaveGrading => {
    add(client, 1);
    add(learner, 1);
    let left = false;
    return (outcome) => {
      if (left) return;
      left = true;
      add(client, -1);
      add(learner, -1);
      if (outcome && outcome.execsStopped > 0) stopping.add(learner);
      else if (outcome) stopping.delete(learner);
      admitWaiting(client);
    };
  };

  /** The first of the client's waiters whose learner has room goes in: a busy learner does not hold up the others. */
  function admitWaiting(client: string) {
    const queue = waiting.get(client);
    if (!queue) return;
    const next = queue.findIndex((waiter) => hasRoom(client, waiter.learner));
    if (next === -1) return;
    const [waiter] = queue.splice(next, 1);
    if (queue.length === 0) waiting.delete(client);
    waiter?.admit();
  }

  return {
    async enter(engine, { clientId, learnerId }) {
      if (engine !== options.sharedEngine) return () => {};
      const client = `client ${clientId}`;
      const learner = `learner ${clientId}/${learnerId}`;
      const queue = waiting.get(client) ?? [];
      const learnerWaiting = queue.filter((waiter) => waiter.learner === learner).length;
      // Nobody is passed in their own learner's line; another learner's wait is no reason to wait.
      if (learnerWaiting === 0 && hasRoom(client, learner)) return occupy(client, learner);

      if (learnerWaiting >= options.perLearner * WAITING_PER_SLOT) {
        throw new TooManyGradingsInFlight(RETRY_AFTER_SECONDS, options.perLearner, "learner");
      }
      if (queue.length >= options.perClient * WAITING_PER_SLOT) {
        throw new TooManyGradingsInFlight(RETRY_AFTER_SECONDS, options.perClient, "client");
      }
      return new Promise<() => void>((resolve, reject) => {
        const waiter: Waiter = {
          learner,
          admit: () => {
            clearTimeout(timer);
            resolve(occupy(client, learner));
          },
        };
        const timer = setTimeout(() => {
          const index = queue.indexOf(waiter);
          if (index !== -1) queue.splice(index, 1);
          if (queue.length === 0 && waiting.get(client) === queue) waiting.delete(client);
          const per = count(learner) >= learnerLimit(learner) ? "learner" : "client";
          reject(
            new TooManyGradingsInFlight(
              RETRY_AFTER_SECONDS,
              per === "learner" ? learnerLimit(learner) : options.perClient,
              per,
            ),
          );
        }, options.maxWaitMs);
        queue.push(waiter);
        waiting.set(client, queue);
      });
    },
  };
}
