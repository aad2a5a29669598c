import { describe, expect, it } from "vitest";
import type { DockerEngine } from "../../src/docker/engine.js";
import { TooManyGradingsInFlight } from "../../src/errors/domain-errors.js";
import { createGradingAdmission } from "../../src/submissions/grading-admission.js";

/**
 * The admission only compares engines by identity, so plain objects stand for the shared engine
 * and a learner's lab; the real engine's part is in test/reliability/engine-starvation.test.ts.
 */
const shared = {} as DockerEngine;
const lab = {} as DockerEngine;

const admission = (maxWaitMs = 60_000) =>
  createGradingAdmission({ sharedEngine: shared, perClient: 4, perLearner: 2, maxWaitMs });

const settled = <T>(promise: Promise<T>) => {
  const state = { done: false };
  promise.then(
    () => {
      state.done = true;
    },
    () => {
      state.done = true;
    },
  );
  return state;
};

describe("gradings on the shared engine", () => {
  it("over a learner's limit wait their turn, first come first served, instead of being refused", async () => {
    const gate = admission();
    const first = await gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
    const second = await gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
    const third = gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
    const fourth = gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
    const thirdState = settled(third);
    const fourthState = settled(fourth);
    await Promise.resolve();
    expect([thirdState.done, fourthState.done]).toEqual([false, false]);

    first();
    await third;
    expect(fourthState.done).toBe(false);
    second();
    await fourth;
  });

  it("of a learner whose last grading stopped an exec at its deadline go one at a time, until one needs no stopping", async () => {
    const gate = admission();
    const stopped = await gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
    stopped({ execsStopped: 1 });
    const first = await gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
    const secondEntry = gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
    const second = settled(secondEntry);
    await Promise.resolve();
    expect(second.done).toBe(false);
    // Another learner of the same client keeps both of their slots.
    await gate.enter(shared, { clientId: "lms", learnerId: "pablo" });
    await gate.enter(shared, { clientId: "lms", learnerId: "pablo" });

    first({ execsStopped: 0 });
    await secondEntry;
    // Back to two in flight: a third enters beside the second.
    await gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
  });

  it("that failed before a grade say nothing of the learner's execs: a learner slowed stays slowed", async () => {
    const gate = admission();
    (await gate.enter(shared, { clientId: "lms", learnerId: "lucia" }))({ execsStopped: 2 });
    (await gate.enter(shared, { clientId: "lms", learnerId: "lucia" }))();
    await gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
    const second = settled(gate.enter(shared, { clientId: "lms", learnerId: "lucia" }));
    await Promise.resolve();
    expect(second.done).toBe(false);
  });

  it("of another learner pass a busy learner's line while the client has room", async () => {
    const gate = admission();
    await gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
    await gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
    const waiting = settled(gate.enter(shared, { clientId: "lms", learnerId: "lucia" }));
    await gate.enter(shared, { clientId: "lms", learnerId: "pablo" });
    expect(waiting.done).toBe(false);
  });

  it("are refused with Retry-After once the client's line is full, and nothing waits behind another client", async () => {
    const gate = admission();
    for (const learnerId of ["a", "a", "b", "b"]) await gate.enter(shared, { clientId: "abuser", learnerId });
    // 4 slots, 4 waiting per slot, at most 8 per learner: learners c and d fill the client's 16.
    for (let i = 0; i < 8; i++) void gate.enter(shared, { clientId: "abuser", learnerId: "c" }).catch(() => {});
    for (let i = 0; i < 8; i++) void gate.enter(shared, { clientId: "abuser", learnerId: "d" }).catch(() => {});

    const refused = await gate.enter(shared, { clientId: "abuser", learnerId: "e" }).catch((error) => error);
    expect(refused).toBeInstanceOf(TooManyGradingsInFlight);
    expect(refused).toMatchObject({ per: "client", limit: 4, retryAfterSeconds: 1 });
    await gate.enter(shared, { clientId: "another-lms", learnerId: "a" });
  });

  it("hold a learner's line to 4 per slot", async () => {
    const gate = admission();
    await gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
    await gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
    for (let i = 0; i < 8; i++) void gate.enter(shared, { clientId: "lms", learnerId: "lucia" }).catch(() => {});
    const refused = await gate.enter(shared, { clientId: "lms", learnerId: "lucia" }).catch((error) => error);
    expect(refused).toMatchObject({ code: "too-many-gradings-in-flight", per: "learner", limit: 2 });
  });

  it("that wait too long are refused, and leave the line", async () => {
    const gate = admission(50);
    const first = await gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
    await gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
    const late = await gate.enter(shared, { clientId: "lms", learnerId: "lucia" }).catch((error) => error);
    expect(late).toMatchObject({ code: "too-many-gradings-in-flight", per: "learner" });
    first();
    await gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
  });

  it("on a learner's own lab engine are not counted", async () => {
    const gate = admission(50);
    for (let i = 0; i < 20; i++) await gate.enter(lab, { clientId: "lms", learnerId: "lucia" });
    await gate.enter(shared, { clientId: "lms", learnerId: "lucia" });
  });
});
