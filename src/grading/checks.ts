import type { ContainerFacts } from "../docker/container-facts.js";
import type { Check, CheckOf, CheckType } from "./exercise.js";
import type { Json, Shown } from "./grade.js";
import { normalizeImageReference } from "./image-reference.js";
import type { GraderMessage } from "./messages.js";
import { isUnobservable, type Observations, type Unobservable } from "./observations.js";

export interface CheckOutcome {
  passed: boolean;
  /** Values as Docker prints them, or the grader's words, localized only when shown. */
  expected: Shown;
  actual: Shown;
  /** Exactly what this check read, for the stored evidence snapshot. Never an env value. */
  evidence: Record<string, Json>;
}

export interface CheckContext {
  facts: ContainerFacts;
  /** The second inspect for `stillRunning`; null when the container vanished meanwhile. */
  later: ContainerFacts | null | undefined;
  observations: Observations;
}

type Evaluator<T extends CheckType> = (check: CheckOf<T>, context: CheckContext) => CheckOutcome;

const say = (message: GraderMessage, values: Record<string, string | number> = {}): Shown => ({
  say: message,
  with: Object.fromEntries(Object.entries(values).map(([key, value]) => [key, String(value)])),
});

const unobservableReason = (value: Unobservable) => say(value.unobservable === "gone" ? "gone" : "notRunning");

const argv = (value: readonly string[] | null) => (value === null ? "null" : JSON.stringify(value));
const sameArgv = (a: readonly string[] | null, b: readonly string[] | null) =>
  a === null || b === null ? a === b : a.length === b.length && a.every((part, i) => part === b[i]);

const EVALUATORS: { [T in CheckType]: Evaluator<T> } = {
  exists: (_check, { facts, observations }) => ({
    // The engine also resolves id prefixes: only an exact name match is the learner's container.
    passed: facts.name === observations.containerName,
    expected: observations.containerName,
    actual: facts.name,
    evidence: { name: facts.name, id: facts.id },
  }),

  state: (check, { facts }) => ({
    passed: facts.status === check.status,
    expected: check.status,
    actual: facts.status,
    evidence: { status: facts.status },
  }),

  exitCode: (check, { facts }) => {
    // A running container's ExitCode is a leftover 0, not an exit code.
    const exited = facts.status === "exited" || facts.status === "dead";
    return {
      passed: exited && facts.exitCode === check.equals,
      expected: String(check.equals),
      actual: exited ? String(facts.exitCode) : say("notExitedYet", { state: facts.status }),
      evidence: { status: facts.status, exitCode: facts.exitCode },
    };
  },

  image: (check, { facts }) => {
    const expected = normalizeImageReference(check.reference);
    const actual = normalizeImageReference(facts.image);
    return { passed: expected === actual, expected, actual, evidence: { image: facts.image } };
  },

  command: (check, { facts }) => ({
    passed: sameArgv(facts.cmd, check.equals),
    expected: argv(check.equals),
    actual: argv(facts.cmd),
    evidence: { cmd: facts.cmd },
  }),

  entrypoint: (check, { facts }) => {
    // Docker reports "no entrypoint" as null or as an empty list depending on how it was set.
    const actual = facts.entrypoint && facts.entrypoint.length > 0 ? facts.entrypoint : null;
    return {
      passed: sameArgv(actual, check.equals),
      expected: argv(check.equals),
      actual: argv(actual),
      evidence: { entrypoint: facts.entrypoint },
    };
  },

  interactive: (check, { facts }) => ({
    passed: facts.tty === check.tty && facts.openStdin === check.openStdin,
    expected: `tty=${check.tty} openStdin=${check.openStdin}`,
    actual: `tty=${facts.tty} openStdin=${facts.openStdin}`,
    evidence: { tty: facts.tty, openStdin: facts.openStdin },
  }),

  portPublished: (check, { facts }) => {
    const key = `${check.containerPort}/${check.protocol}`;
    const bindings = facts.portBindings[key] ?? [];
    const passed = bindings.some(
      (b) =>
        b.hostPort === String(check.hostPort) &&
        (check.hostIp === undefined || (b.hostIp || "0.0.0.0") === check.hostIp),
    );
    const all = Object.entries(facts.portBindings).flatMap(([port, list]) =>
      list.map((b) => `${b.hostIp || "0.0.0.0"}:${b.hostPort || "?"}->${port}`),
    );
    return {
      passed,
      expected: `${check.hostIp ?? "0.0.0.0"}:${check.hostPort}->${key}`,
      actual: all.length > 0 ? all.join(", ") : say("none"),
      evidence: { portBindings: facts.portBindings },
    };
  },

  env: (check, { facts }) => {
    const present = facts.env.has(check.name);
    const matches = check.equals === undefined ? present : facts.env.get(check.name) === check.equals;
    const name = check.name;
    // The learner chose the value; it may be a secret, so it is neither shown nor stored.
    const actual = !present
      ? say("namedNotSet", { name })
      : check.equals === undefined
        ? say("namedSet", { name })
        : matches
          ? `${name}=${check.equals}`
          : say("namedDifferentValue", { name });
    return {
      passed: matches,
      expected: check.equals === undefined ? say("namedSet", { name }) : `${name}=${check.equals}`,
      actual,
      evidence: { envNames: [...facts.env.keys()].sort(), present, matches },
    };
  },

  label: (check, { facts }) => {
    const value = facts.labels[check.key];
    const passed = value !== undefined && (check.equals === undefined || value === check.equals);
    return {
      passed,
      expected: check.equals === undefined ? check.key : `${check.key}=${check.equals}`,
      actual: value === undefined ? say("namedNotSet", { name: check.key }) : `${check.key}=${value}`,
      evidence: { label: check.key, value: value ?? null },
    };
  },

  restartPolicy: (check, { facts }) => {
    const policy = facts.restartPolicy;
    const passed =
      policy.name === check.name &&
      (check.maximumRetryCount === undefined || policy.maximumRetryCount === check.maximumRetryCount);
    const show = (name: string, retries: number | undefined) =>
      name === "on-failure" && retries !== undefined && retries > 0 ? `${name}:${retries}` : name;
    return {
      passed,
      expected: show(check.name, check.maximumRetryCount),
      actual: show(policy.name, policy.maximumRetryCount),
      evidence: { restartPolicy: policy },
    };
  },

  mount: (check, { facts }) => {
    const describe = (m: { type: string; source?: string | undefined; destination: string; readOnly?: boolean }) =>
      `${m.type} ${m.source ?? "*"}:${m.destination}${m.readOnly === undefined ? "" : m.readOnly ? ":ro" : ":rw"}`;
    const passed = facts.mounts.some(
      (m) =>
        m.type === check.mountType &&
        m.destination === check.destination &&
        (check.source === undefined || m.source === check.source) &&
        (check.readOnly === undefined || m.readOnly === check.readOnly),
    );
    return {
      passed,
      expected: describe({ ...check, type: check.mountType }),
      actual: facts.mounts.length > 0 ? facts.mounts.map(describe).join(", ") : say("none"),
      evidence: { mounts: facts.mounts },
    };
  },

  network: (check, { facts }) => ({
    passed: facts.networks.includes(check.name),
    expected: check.name,
    actual: facts.networks.join(", "),
    evidence: { networks: facts.networks },
  }),

  processRunning: (check, { observations }): CheckOutcome => {
    const seen = observations.processes;
    if (!seen || isUnobservable(seen)) {
      return {
        passed: false,
        expected: check.commandContains,
        actual: seen ? unobservableReason(seen) : say("notRunning"),
        evidence: { processes: null },
      };
    }
    const commandColumn = Math.max(seen.titles.indexOf("CMD"), seen.titles.indexOf("COMMAND"));
    const commands = seen.processes.map((row) => row[commandColumn >= 0 ? commandColumn : row.length - 1] ?? "");
    return {
      passed: commands.some((command) => command.includes(check.commandContains)),
      expected: check.commandContains,
      actual: commands.length > 0 ? commands.join(" | ") : say("none"),
      evidence: { processes: commands },
    };
  },

  logsContain: (check, { observations }): CheckOutcome => {
    const logs = observations.logs;
    if (!logs || isUnobservable(logs)) {
      return {
        passed: false,
        expected: check.text,
        actual: logs ? unobservableReason(logs) : say("notFound"),
        evidence: { found: false },
      };
    }
    // Only the checked lines are tailed, so a match means the text is among the newest lines.
    const lines = logs.text.split("\n");
    const tail = lines.slice(Math.max(0, lines.length - 1 - check.tailLines)).join("\n");
    const found = tail.includes(check.text);
    const lastLine = lines.filter((line) => line.trim() !== "").at(-1);
    return {
      passed: found,
      expected: check.text,
      actual: found
        ? say("found")
        : lastLine
          ? say("notFoundLastLine", { line: lastLine.slice(0, 120) })
          : say("notFound"),
      evidence: { found, truncated: logs.truncated },
    };
  },

  stillRunning: (check, { facts, later }) => {
    const restarted = later ? later.startedAt !== facts.startedAt || later.restartCount !== facts.restartCount : false;
    const passed = facts.running && !!later && later.running && !restarted;
    const actual = !facts.running
      ? facts.status
      : later === null
        ? say("gone")
        : !later
          ? say("notRunning")
          : restarted
            ? say("restarted")
            : later.status;
    return {
      passed,
      expected: say("stillRunningExpected", { ms: check.afterMs }),
      actual,
      evidence: {
        first: { status: facts.status, startedAt: facts.startedAt, restartCount: facts.restartCount },
        later: later ? { status: later.status, startedAt: later.startedAt, restartCount: later.restartCount } : null,
      },
    };
  },

  exec: (check, { observations }): CheckOutcome => {
    const outcome = observations.exec?.[check.id];
    const expected = check.outputContains
      ? say("execExpectedOutput", { exitCode: check.exitCode, output: check.outputContains })
      : say("execExpected", { exitCode: check.exitCode });
    if (!outcome || isUnobservable(outcome)) {
      return {
        passed: false,
        expected,
        actual: outcome ? unobservableReason(outcome) : say("notRunning"),
        evidence: { exec: null },
      };
    }
    if (outcome.timedOut) {
      return { passed: false, expected, actual: say("timedOut"), evidence: { timedOut: true } };
    }
    const outputOk = check.outputContains === undefined || outcome.text.includes(check.outputContains);
    const output = outcome.text.trim().slice(0, 200);
    const exitCode = String(outcome.exitCode);
    return {
      passed: outcome.exitCode === check.exitCode && outputOk,
      expected,
      actual: output ? say("execActualOutput", { exitCode, output }) : say("execActual", { exitCode }),
      evidence: { exitCode: outcome.exitCode, output: outcome.text.slice(0, 512), truncated: outcome.truncated },
    };
  },
};

export function evaluateCheck(check: Check, context: CheckContext): CheckOutcome {
  return evaluateWith(check.type, check, context);
}

/** Indexing the mapped table with a generic key keeps each check paired with its own evaluator. */
function evaluateWith<T extends CheckType>(type: T, check: CheckOf<T>, context: CheckContext): CheckOutcome {
  const evaluator: Evaluator<T> = EVALUATORS[type];
  return evaluator(check, context);
}
