import type { Language } from "../i18n/language.js";
import type { ContainerFacts } from "./container-facts.js";
import type { Check, CheckOf, CheckType } from "./exercise.js";
import { normalizeImageReference } from "./image-reference.js";
import { localize, GRADER_MESSAGES as M } from "./messages.js";
import { isUnobservable, type Observations, type Unobservable } from "./observations.js";

export interface CheckOutcome {
  passed: boolean;
  /** Language-neutral where possible: values as Docker prints them. */
  expected: string;
  actual: string;
  /** Exactly what this check read, for the stored evidence snapshot. Never an env value. */
  evidence: Record<string, unknown>;
}

export interface CheckContext {
  facts: ContainerFacts;
  /** The second inspect for `stillRunning`; null when the container vanished meanwhile. */
  later: ContainerFacts | null | undefined;
  observations: Observations;
  language: Language;
}

type Evaluator<T extends CheckType> = (check: CheckOf<T>, context: CheckContext) => CheckOutcome;

const unobservableReason = (value: Unobservable, language: Language) =>
  localize(value.unobservable === "gone" ? M.gone : M.notRunning, language);

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

  exitCode: (check, { facts, language }) => {
    // A running container's ExitCode is a leftover 0, not an exit code.
    const exited = facts.status === "exited" || facts.status === "dead";
    return {
      passed: exited && facts.exitCode === check.equals,
      expected: String(check.equals),
      actual: exited ? String(facts.exitCode) : `${facts.status} (${localize(M.notRunning, language)})`,
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

  portPublished: (check, { facts, language }) => {
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
      actual: all.length > 0 ? all.join(", ") : localize(M.none, language),
      evidence: { portBindings: facts.portBindings },
    };
  },

  env: (check, { facts, language }) => {
    const present = facts.env.has(check.name);
    const matches = check.equals === undefined ? present : facts.env.get(check.name) === check.equals;
    // The learner chose the value; it may be a secret, so it is neither shown nor stored.
    const actual = !present
      ? `${check.name} ${localize(M.notSet, language)}`
      : check.equals === undefined || matches
        ? `${check.name} ${localize(M.set, language)}${matches && check.equals !== undefined ? `=${check.equals}` : ""}`
        : `${check.name}=<${localize(M.differentValue, language)}>`;
    return {
      passed: matches,
      expected:
        check.equals === undefined ? `${check.name} ${localize(M.set, language)}` : `${check.name}=${check.equals}`,
      actual,
      evidence: { envNames: [...facts.env.keys()].sort(), present, matches },
    };
  },

  label: (check, { facts, language }) => {
    const value = facts.labels[check.key];
    const passed = value !== undefined && (check.equals === undefined || value === check.equals);
    return {
      passed,
      expected: check.equals === undefined ? check.key : `${check.key}=${check.equals}`,
      actual: value === undefined ? `${check.key} ${localize(M.notSet, language)}` : `${check.key}=${value}`,
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

  mount: (check, { facts, language }) => {
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
      actual: facts.mounts.length > 0 ? facts.mounts.map(describe).join(", ") : localize(M.none, language),
      evidence: { mounts: facts.mounts },
    };
  },

  network: (check, { facts }) => ({
    passed: facts.networks.includes(check.name),
    expected: check.name,
    actual: facts.networks.join(", "),
    evidence: { networks: facts.networks },
  }),

  processRunning: (check, { observations, language }) => {
    const seen = observations.processes;
    if (!seen || isUnobservable(seen)) {
      return {
        passed: false,
        expected: check.commandContains,
        actual: seen ? unobservableReason(seen, language) : localize(M.notRunning, language),
        evidence: { processes: null },
      };
    }
    const commandColumn = Math.max(seen.titles.indexOf("CMD"), seen.titles.indexOf("COMMAND"));
    const commands = seen.processes.map((row) => row[commandColumn >= 0 ? commandColumn : row.length - 1] ?? "");
    return {
      passed: commands.some((command) => command.includes(check.commandContains)),
      expected: check.commandContains,
      actual: commands.length > 0 ? commands.join(" | ") : localize(M.none, language),
      evidence: { processes: commands },
    };
  },

  logsContain: (check, { observations, language }) => {
    const logs = observations.logs;
    if (!logs || isUnobservable(logs)) {
      return {
        passed: false,
        expected: check.text,
        actual: logs ? unobservableReason(logs, language) : localize(M.notFound, language),
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
        ? localize(M.found, language)
        : `${localize(M.notFound, language)}${lastLine ? ` ("${lastLine.slice(0, 120)}")` : ""}`,
      evidence: { found, truncated: logs.truncated },
    };
  },

  stillRunning: (check, { facts, later, language }) => {
    const restarted = later ? later.startedAt !== facts.startedAt || later.restartCount !== facts.restartCount : false;
    const passed = facts.running && !!later && later.running && !restarted;
    const actual = !facts.running
      ? facts.status
      : later === null
        ? localize(M.gone, language)
        : !later
          ? localize(M.notRunning, language)
          : restarted
            ? localize(M.restarted, language)
            : later.status;
    return {
      passed,
      expected: `running, running after ${check.afterMs} ms`,
      actual,
      evidence: {
        first: { status: facts.status, startedAt: facts.startedAt, restartCount: facts.restartCount },
        later: later ? { status: later.status, startedAt: later.startedAt, restartCount: later.restartCount } : null,
      },
    };
  },

  exec: (check, { observations, language }) => {
    const outcome = observations.exec?.[check.id];
    const expected = `exit ${check.exitCode}${check.outputContains ? `, output contains "${check.outputContains}"` : ""}`;
    if (!outcome || isUnobservable(outcome)) {
      return {
        passed: false,
        expected,
        actual: outcome ? unobservableReason(outcome, language) : localize(M.notRunning, language),
        evidence: { exec: null },
      };
    }
    if (outcome.timedOut) {
      return { passed: false, expected, actual: localize(M.timedOut, language), evidence: { timedOut: true } };
    }
    const outputOk = check.outputContains === undefined || outcome.text.includes(check.outputContains);
    const output = outcome.text.trim().slice(0, 200);
    return {
      passed: outcome.exitCode === check.exitCode && outputOk,
      expected,
      actual: `exit ${outcome.exitCode}${output ? `, output "${output}"` : ""}`,
      evidence: { exitCode: outcome.exitCode, output: outcome.text.slice(0, 512), truncated: outcome.truncated },
    };
  },
};

export function evaluateCheck(check: Check, context: CheckContext): CheckOutcome {
  return (EVALUATORS[check.type] as Evaluator<typeof check.type>)(check as never, context);
}
