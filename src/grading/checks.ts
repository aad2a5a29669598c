import { COMPOSE_LABELS, type ContainerFacts, type HistoryStep, type PortBinding } from "../docker/container-facts.js";
import type { Check, CheckOf, CheckType, ContainerExercise } from "./exercise.js";
import type { Json, Shown } from "./grade.js";
import { normalizeImageReference, repositoryOf } from "./image-reference.js";
import type { GraderMessage } from "./messages.js";
import {
  addNeeds,
  type EngineNeeds,
  engineMillisBetween,
  happened,
  INSPECT_ONLY,
  isUnobservable,
  type ObservationPlan,
  type Observations,
  RUNNING_SETTLES_MS,
  type Unobservable,
} from "./observations.js";

interface CheckOutcome {
  passed: boolean;
  /** Values as Docker prints them, or the grader's words, localized only when shown. */
  expected: Shown;
  actual: Shown;
  /** Exactly what this check read, for the stored evidence snapshot. Never an env value. */
  evidence: Record<string, Json>;
}

interface CheckContext {
  facts: ContainerFacts;
  observations: Observations;
}

type Evaluator<T extends CheckType> = (check: CheckOf<T>, context: CheckContext) => CheckOutcome;

/**
 * What a check type is: what it needs the engine to tell beyond the first inspect, and how it is
 * judged on what was told. Both sit in one entry, so a new check type cannot compile without its plan.
 */
interface CheckKind<T extends CheckType> {
  needs: (check: CheckOf<T>) => EngineNeeds;
  evaluate: Evaluator<T>;
}

/** A check that reads only what the first inspect says. */
const inspectOnly = (): EngineNeeds => ({});

const say = (message: GraderMessage, values: Record<string, string | number> = {}): Shown => ({
  say: message,
  with: Object.fromEntries(Object.entries(values).map(([key, value]) => [key, String(value)])),
});

/** Why a call could not answer, in words true in the container's state (a paused one is not "not running"). */
const unobservableReason = (value: Unobservable, facts: ContainerFacts) =>
  value.unobservable === "gone" ? say("gone") : say("containerIs", { state: facts.status });

const argv = (value: readonly string[] | null) => (value === null ? "null" : JSON.stringify(value));

/** Docker's PATH for a container whose image and run set none (the OCI runtime default). */
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * `sh` and `/bin/sh` are one program when `sh` is looked up on PATH and `/bin` is on it. The Engine
 * API cannot list a directory, so an earlier PATH directory holding another `sh` is not ruled out:
 * images do not ship two programs of one name in practice.
 */
function sameProgram(a: string, b: string, path: string): boolean {
  if (a === b) return true;
  const [bare, full] = a.includes("/") ? [b, a] : [a, b];
  if (bare.includes("/") || !full.startsWith("/")) return false;
  const slash = full.lastIndexOf("/");
  return full.slice(slash + 1) === bare && path.split(":").includes(full.slice(0, slash) || "/");
}

const sameArgv = (a: readonly string[] | null, b: readonly string[] | null, path: string) =>
  a === null || b === null
    ? a === b
    : a.length === b.length && a.every((part, i) => (i === 0 ? sameProgram(part, b[0] ?? "", path) : part === b[i]));

/** What the main process runs: the entrypoint, then the command (Docker's Path and Args). */
const mainProcess = (entrypoint: readonly string[] | null, cmd: readonly string[] | null) => [
  ...(entrypoint ?? []),
  ...(cmd ?? []),
];

const sameList = (a: readonly string[] | null, b: readonly string[] | null) =>
  JSON.stringify(a ?? []) === JSON.stringify(b ?? []);

/** "8080" or a requested range "8080-8081" holds the port. */
function hostPortHolds(hostPort: string, port: number): boolean {
  const [from, to = from] = hostPort.split("-").map(Number);
  return from !== undefined && to !== undefined && port >= from && port <= to;
}

const showBindings = (record: Record<string, PortBinding[]>) =>
  Object.entries(record).flatMap(([port, list]) =>
    list.map((b) => `${b.hostIp || "0.0.0.0"}:${b.hostPort || "?"}->${port}`),
  );

/** Sizes the way `--memory` takes them: 64m, 1g, 512k, or bytes. */
function showBytes(bytes: number): string {
  for (const [unit, size] of [
    ["g", 1024 ** 3],
    ["m", 1024 ** 2],
    ["k", 1024],
  ] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** root by name or uid, with or without a group; "" is the default user, root. */
const isRoot = (user: string) => ["", "root", "0"].includes(user.split(":")[0] ?? "");

/** A bare user ("1000") matches it with any group ("1000:1000"); one with a group must match whole. */
const sameUser = (actual: string, expected: string) =>
  expected.includes(":") ? actual === expected : actual.split(":")[0] === expected;

/**
 * A step that ran a command while the image was built: BuildKit writes `RUN …`, the legacy builder
 * `/bin/sh -c …` (its other steps are `#(nop)`).
 */
const ranACommand = (step: HistoryStep) =>
  /^RUN /.test(step.createdBy) || (/^\/bin\/sh -c /.test(step.createdBy) && !step.createdBy.includes("#(nop)"));

/** The steps an image added on top of `base`, when its history starts with all of base's; undefined if not built on it. */
function stepsAfter(image: HistoryStep[], base: HistoryStep[]): HistoryStep[] | undefined {
  const onBase = base.length <= image.length && base.every((step, i) => image[i]?.createdBy === step.createdBy);
  return onBase ? image.slice(base.length) : undefined;
}

/**
 * A boolean security option is on when written bare, `:true` or `=true`, and off with `false`: the
 * engine keeps what was typed. Others (`seccomp=…`, `label=…`) are named by what comes before the value.
 */
function securityOptionName(option: string): string | undefined {
  const [name = "", value] = option.split(/[:=]/, 2);
  return value === "false" ? undefined : name;
}

/** How long the container had been up when it was inspected, by the engine's own clock; NaN when unread. */
const uptimeMs = (facts: ContainerFacts, observations: Observations) =>
  observations.engineTime ? engineMillisBetween(facts.startedAt, observations.engineTime) : Number.NaN;

const showCapabilities = (facts: ContainerFacts) => {
  if (facts.privileged) return say("privileged");
  const flags = [...facts.capDrop.map((cap) => `--cap-drop ${cap}`), ...facts.capAdd.map((cap) => `--cap-add ${cap}`)];
  return flags.length > 0 ? flags.join(" ") : say("none");
};

const capabilityEvidence = (facts: ContainerFacts) => ({
  capDrop: facts.capDrop,
  capAdd: facts.capAdd,
  privileged: facts.privileged,
});

const CHECKS: { [T in CheckType]: CheckKind<T> } = {
  exists: {
    needs: inspectOnly,
    evaluate: (_check, { facts, observations }) => ({
      // The engine also resolves id prefixes: only an exact name match is the learner's container.
      passed: facts.name === observations.containerName,
      expected: observations.containerName,
      actual: facts.name,
      evidence: { name: facts.name, id: facts.id },
    }),
  },

  state: {
    needs: (check) => (check.status === "running" ? { stillRunningAfterMs: RUNNING_SETTLES_MS } : {}),
    evaluate: (check, { facts, observations }): CheckOutcome => {
      // A container younger than RUNNING_SETTLES_MS was looked at again once it was that old
      // (observe-container.ts): a main process that ends at once does not pass for running.
      const upMs = uptimeMs(facts, observations);
      const later =
        check.status === "running" && facts.running && upMs < RUNNING_SETTLES_MS ? observations.later : undefined;
      if (later === undefined) {
        return {
          passed: facts.status === check.status,
          expected: check.status,
          actual: facts.status,
          evidence: { status: facts.status },
        };
      }
      const laterStatus = later.facts?.status ?? null;
      return {
        passed: laterStatus === check.status,
        expected: check.status,
        actual: laterStatus ?? say("gone"),
        evidence: { status: facts.status, laterStatus },
      };
    },
  },

  started: {
    needs: inspectOnly,
    evaluate: (_check, { facts }) => {
      const ran = happened(facts.startedAt);
      return {
        passed: ran,
        expected: say("startedAt", { time: "…" }),
        actual: ran ? say("startedAt", { time: facts.startedAt }) : say("neverStarted"),
        evidence: { status: facts.status, startedAt: facts.startedAt },
      };
    },
  },

  exitCode: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => {
      // A running container's ExitCode is a leftover 0, not an exit code.
      const exited = facts.status === "exited" || facts.status === "dead";
      return {
        passed: exited && facts.exitCode === check.equals,
        expected: String(check.equals),
        actual: exited ? String(facts.exitCode) : say("notExitedYet", { state: facts.status }),
        evidence: { status: facts.status, exitCode: facts.exitCode },
      };
    },
  },

  image: {
    needs: () => ({ image: true }),
    evaluate: (check, { facts, observations }) => {
      // The learner may have typed a name, a tag, an ID or a digest; what counts is the image the
      // container runs (facts.imageId) and the names that image carries now, so a tag that was
      // moved to another image afterwards no longer counts.
      const image = observations.image;
      const names = image ? [...image.repoTags, ...image.repoDigests].map(normalizeImageReference) : [];
      const reference = normalizeImageReference(check.reference);
      const carries = (wanted: string) =>
        check.anyTag ? names.some((name) => repositoryOf(name) === repositoryOf(wanted)) : names.includes(wanted);
      const other = check.sameImageAs && normalizeImageReference(check.sameImageAs);
      const typed = /^(sha256:)?[0-9a-f]{12,64}$/.test(facts.image)
        ? facts.image
        : normalizeImageReference(facts.image);
      // Config.Image is what `docker run` was given: by name only when the name itself is the lesson.
      const typedOk =
        !check.byName || (check.anyTag ? repositoryOf(typed) === repositoryOf(reference) : typed === reference);
      const passed = carries(reference) && (other === undefined || names.includes(other)) && typedOk;
      const actual: Shown = !image
        ? say("imageGone", { image: typed })
        : names.includes(typed) && (passed || (other === undefined && !check.byName))
          ? typed
          : say("imageTagged", { image: typed, tags: image.repoTags.join(", ") || "<none>" });
      return {
        passed,
        expected: other === undefined ? reference : say("imageSameAs", { image: reference, other }),
        actual,
        evidence: {
          image: facts.image,
          imageId: facts.imageId,
          repoTags: image?.repoTags ?? [],
          repoDigests: image?.repoDigests ?? [],
        },
      };
    },
  },

  imageFromRegistry: {
    needs: () => ({ image: true }),
    evaluate: (check, { facts, observations }) => {
      const image = observations.image;
      const repository = repositoryOf(check.repository);
      const through = [...new Set((image?.repoDigests ?? []).map(repositoryOf))];
      return {
        passed: through.includes(repository),
        expected: repository,
        actual: !image
          ? say("imageGone", { image: facts.image })
          : through.length > 0
            ? through.join(", ")
            : say("neverThroughRegistry", { image: facts.image }),
        evidence: { imageId: facts.imageId, repoDigests: image?.repoDigests ?? [] },
      };
    },
  },

  command: {
    needs: (check) => ({ image: check.fromImage }),
    evaluate: (check, { facts, observations }) => {
      const path = facts.env.get("PATH") ?? DEFAULT_PATH;
      const runs = mainProcess(facts.entrypoint, facts.cmd);
      const image = observations.image;
      // Docker copies the image's ENTRYPOINT and CMD into the container unless `docker run` replaced
      // them; typing the very same words is indistinguishable, and as good.
      const fromImage =
        !check.fromImage || (!!image && sameList(facts.entrypoint, image.entrypoint) && sameList(facts.cmd, image.cmd));
      const passed = sameArgv(runs, check.equals, path) && fromImage;
      return {
        passed,
        expected: argv(check.equals),
        actual:
          fromImage || !image
            ? argv(runs)
            : say("commandAdded", { argv: argv(runs), image: argv(mainProcess(image.entrypoint, image.cmd)) }),
        evidence: { entrypoint: facts.entrypoint, cmd: facts.cmd, path, imageCmd: image?.cmd ?? null },
      };
    },
  },

  entrypoint: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => {
      // Docker reports "no entrypoint" as null or as an empty list depending on how it was set.
      const actual = facts.entrypoint && facts.entrypoint.length > 0 ? facts.entrypoint : null;
      return {
        passed: sameArgv(actual, check.equals, facts.env.get("PATH") ?? DEFAULT_PATH),
        expected: argv(check.equals),
        actual: argv(actual),
        evidence: { entrypoint: facts.entrypoint },
      };
    },
  },

  interactive: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => ({
      passed: facts.tty === check.tty && facts.openStdin === check.openStdin,
      expected: `tty=${check.tty} openStdin=${check.openStdin}`,
      actual: `tty=${facts.tty} openStdin=${facts.openStdin}`,
      evidence: { tty: facts.tty, openStdin: facts.openStdin },
    }),
  },

  portPublished: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => {
      const key = `${check.containerPort}/${check.protocol}`;
      const expected = `${check.hostIp ?? "0.0.0.0"}:${check.hostPort}->${key}`;
      const evidence = { status: facts.status, portBindings: facts.portBindings, boundPorts: facts.boundPorts };
      // A port is bound when the container starts; one that never started (a port already taken
      // leaves it `created`) bound nothing, whatever it asked for.
      if (facts.status === "created") {
        const requested = showBindings(facts.portBindings);
        return {
          passed: false,
          expected,
          actual: requested.length > 0 ? say("portsNeverBound", { ports: requested.join(", ") }) : say("none"),
          evidence,
        };
      }
      // While it runs, the engine says which port it bound (one of a requested range); after it
      // stopped only the request is left, and a range counts when it holds the port.
      const source = facts.running ? facts.boundPorts : facts.portBindings;
      const passed = (source[key] ?? []).some(
        (b) =>
          hostPortHolds(b.hostPort, check.hostPort) &&
          (check.hostIp === undefined || (b.hostIp || "0.0.0.0") === check.hostIp),
      );
      const all = showBindings(source);
      return { passed, expected, actual: all.length > 0 ? all.join(", ") : say("none"), evidence };
    },
  },

  env: {
    needs: inspectOnly,
    evaluate: (check, { facts }): CheckOutcome => {
      const present = facts.env.has(check.name);
      const name = check.name;
      if (!check.present) {
        return {
          passed: !present,
          expected: say("namedNotSet", { name }),
          actual: say(present ? "namedSet" : "namedNotSet", { name }),
          evidence: { envNames: [...facts.env.keys()].sort(), present },
        };
      }
      const matches = check.equals === undefined ? present : facts.env.get(check.name) === check.equals;
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
  },

  label: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => {
      const value = facts.labels[check.key];
      const passed = value !== undefined && (check.equals === undefined || value === check.equals);
      return {
        passed,
        expected: check.equals === undefined ? check.key : `${check.key}=${check.equals}`,
        actual: value === undefined ? say("namedNotSet", { name: check.key }) : `${check.key}=${value}`,
        evidence: { label: check.key, value: value ?? null },
      };
    },
  },

  restartPolicy: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => {
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
  },

  mount: {
    needs: inspectOnly,
    evaluate: (check, { facts }): CheckOutcome => {
      const describe = (m: {
        type: string;
        source?: string | undefined;
        destination?: string | undefined;
        readOnly?: boolean | undefined;
      }) =>
        `${m.type} ${m.source ?? "*"}:${m.destination ?? "*"}${m.readOnly === undefined ? "" : m.readOnly ? ":ro" : ":rw"}`;
      const matching = facts.mounts.filter(
        (m) =>
          m.type === check.mountType &&
          (check.destination === undefined || m.destination === check.destination) &&
          (check.source === undefined || m.source === check.source) &&
          (check.sourceEndsWith === undefined || m.source.endsWith(check.sourceEndsWith)) &&
          (check.readOnly === undefined || m.readOnly === check.readOnly),
      );
      const wanted = describe({
        type: check.mountType,
        source: check.source ?? (check.sourceEndsWith && `…${check.sourceEndsWith}`),
        destination: check.destination,
        readOnly: check.readOnly,
      });
      if (!check.present) {
        return {
          passed: matching.length === 0,
          expected: say("notMounted"),
          actual:
            matching.length === 0
              ? say("notMounted")
              : say("mountedAnyway", { mounts: matching.map(describe).join(", ") }),
          evidence: { mounts: facts.mounts, forbidden: wanted },
        };
      }
      return {
        passed: matching.length > 0,
        expected: wanted,
        actual: facts.mounts.length > 0 ? facts.mounts.map(describe).join(", ") : say("none"),
        evidence: { mounts: facts.mounts },
      };
    },
  },

  network: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => ({
      passed: facts.networks.includes(check.name),
      expected: check.name,
      actual: facts.networks.join(", "),
      evidence: { networks: facts.networks },
    }),
  },

  processRunning: {
    needs: () => ({ top: true }),
    evaluate: (check, { facts, observations }): CheckOutcome => {
      const seen = observations.processes;
      if (!seen || isUnobservable(seen)) {
        return {
          passed: false,
          expected: check.commandContains,
          actual: seen ? unobservableReason(seen, facts) : say("containerIs", { state: facts.status }),
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
  },

  logsContain: {
    needs: (check) => ({ logsTailLines: check.tailLines }),
    evaluate: (check, { facts, observations }): CheckOutcome => {
      const logs = observations.logs;
      if (!logs || isUnobservable(logs)) {
        return {
          passed: false,
          expected: check.text,
          actual: logs ? unobservableReason(logs, facts) : say("notFound"),
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
  },

  stillRunning: {
    needs: (check) => ({ stillRunningAfterMs: check.afterMs }),
    evaluate: (check, { facts, observations }) => {
      // Judged on what the engine recorded: StartedAt is the latest start, so a process up for
      // afterMs by the engine's clock has run that long without a break. A restart policy that had
      // to start it again (RestartCount) means its main process ended at least once.
      const upMs = uptimeMs(facts, observations);
      const later = observations.later;
      const same = (other: ContainerFacts) =>
        other.running && other.startedAt === facts.startedAt && other.restartCount === facts.restartCount;
      const evidence = {
        status: facts.status,
        startedAt: facts.startedAt,
        engineTime: observations.engineTime ?? null,
        restartCount: facts.restartCount,
        oomKilled: facts.oomKilled,
        later: later ? (later.facts ? { status: later.facts.status, startedAt: later.facts.startedAt } : null) : null,
      };
      const expected = say("stillRunningExpected", { ms: check.afterMs });
      const fail = (actual: Shown) => ({ passed: false, expected, actual, evidence });
      if (facts.status !== "running") return fail(facts.oomKilled ? say("oomKilled") : facts.status);
      if (facts.restartCount > 0) return fail(say("restartedTimes", { count: facts.restartCount }));
      if (Number.isNaN(upMs)) return fail(say("engineClockUnreadable"));
      if (upMs >= check.afterMs)
        return { passed: true, expected, actual: say("upFor", { ms: Math.round(upMs) }), evidence };
      // Younger than afterMs: the second look, taken once it was old enough, decides.
      if (!later?.facts) return fail(say("gone"));
      if (!same(later.facts)) {
        return fail(
          later.facts.running ? say("restarted") : later.facts.oomKilled ? say("oomKilled") : later.facts.status,
        );
      }
      return { passed: true, expected, actual: say("upFor", { ms: check.afterMs }), evidence };
    },
  },

  composeService: {
    needs: (check) => ({ composeServices: [check.service] }),
    evaluate: (check, { facts, observations }) => {
      const project = facts.labels[COMPOSE_LABELS.project];
      const other = observations.composeServices?.[check.service] ?? null;
      const service = check.service;
      const shown = (status: string, health: string | undefined): Shown =>
        health === undefined
          ? say("serviceState", { service, state: status })
          : say("serviceStateHealth", { service, state: status, health });
      return {
        passed:
          other !== null &&
          other.status === check.status &&
          (check.health === undefined || (other.running && other.health?.status === check.health)),
        expected: shown(check.status, check.health),
        actual:
          project === undefined
            ? say("notInComposeProject")
            : other === null
              ? say("noServiceContainer", { service, project })
              : check.health !== undefined && other.health === null
                ? say("serviceWithoutHealthcheck", { service, state: other.status })
                : shown(other.status, check.health === undefined ? undefined : other.health?.status),
        evidence: {
          project: project ?? null,
          service,
          container: other ? { name: other.name, status: other.status, health: other.health?.status ?? null } : null,
        },
      };
    },
  },

  volumeReused: {
    needs: (check) => ({ volumes: [check] }),
    evaluate: (check, { facts, observations }): CheckOutcome => {
      const seen = observations.volumes?.[check.id];
      const expected = say("volumeReused", { destination: check.destination });
      if (!seen) {
        return {
          passed: false,
          expected,
          actual: say("noNamedVolumeAt", { destination: check.destination }),
          evidence: { volume: null },
        };
      }
      const others = [...new Set(seen.mounts.map((m) => m.containerId).filter((id) => id !== facts.id))];
      // Created long enough before this container to have been mounted by another, yet nothing in the
      // log says so: the log (256 events) may have forgotten, which proves nothing either way.
      const olderThanContainer = engineMillisBetween(seen.volume.createdAt, facts.created) > 0;
      return {
        passed: others.length > 0,
        expected,
        actual:
          others.length > 0
            ? expected
            : seen.mounts.length === 0 && olderThanContainer
              ? say("volumeLogForgotten", { volume: seen.volume.name })
              : say("volumeFirstUse", { volume: seen.volume.name }),
        evidence: { volume: seen.volume.name, createdAt: seen.volume.createdAt, earlierContainers: others.length },
      };
    },
  },

  health: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => {
      // A stopped container keeps its last health status, but nothing checks it any more.
      const health = facts.health;
      return {
        passed: facts.running && health?.status === check.status,
        expected: check.status,
        actual: !health
          ? say("noHealthcheck")
          : facts.running
            ? health.status
            : say("containerIs", { state: facts.status }),
        evidence: { status: facts.status, health },
      };
    },
  },

  // Only the engine's own record: an exit code of 137 is any SIGKILL (`docker kill`, a `kill -9` on the
  // host, `exit 137`), and a kill the engine did not see as an OOM kill shows OOMKilled=false to the learner too.
  oomKilled: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => ({
      passed: facts.oomKilled === check.equals,
      expected: `OOMKilled=${check.equals}`,
      actual: `OOMKilled=${facts.oomKilled}`,
      evidence: { status: facts.status, exitCode: facts.exitCode, oomKilled: facts.oomKilled },
    }),
  },

  memoryLimit: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => ({
      passed: facts.memoryLimit === check.bytes,
      expected: showBytes(check.bytes),
      actual: facts.memoryLimit > 0 ? showBytes(facts.memoryLimit) : say("noLimit"),
      evidence: { memoryLimit: facts.memoryLimit },
    }),
  },

  cpuLimit: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => ({
      // NanoCpus is an integer and a quota a ratio of two: compare to a billionth, not exactly.
      passed: Math.abs(facts.cpuLimit - check.cpus) < 1e-9,
      expected: String(check.cpus),
      actual: facts.cpuLimit > 0 ? String(Number(facts.cpuLimit.toFixed(9))) : say("noLimit"),
      evidence: { cpuLimit: facts.cpuLimit },
    }),
  },

  // A privileged container reaches the host's devices whoever runs in it: not the least power a user stands for.
  user: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => {
      const user = facts.user === "" ? say("rootUser") : facts.user;
      return {
        passed:
          !facts.privileged && (check.equals === undefined ? !isRoot(facts.user) : sameUser(facts.user, check.equals)),
        expected: check.equals ?? say("anyUserButRoot"),
        actual: facts.privileged ? say("privilegedAs", { user: facts.user || "root" }) : user,
        evidence: { user: facts.user, privileged: facts.privileged },
      };
    },
  },

  readOnlyRootfs: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => ({
      passed: facts.readOnlyRootfs === check.equals,
      expected: `ReadonlyRootfs=${check.equals}`,
      actual: `ReadonlyRootfs=${facts.readOnlyRootfs}`,
      evidence: { readOnlyRootfs: facts.readOnlyRootfs },
    }),
  },

  capDrop: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => {
      // Docker drops first and adds back after: `--cap-drop ALL --cap-add CHOWN` leaves CHOWN, so a
      // capability counts as dropped only if nothing added it back, and ALL only if nothing was.
      const addedBack = (cap: string) => facts.capAdd.includes(cap) || facts.capAdd.includes("ALL");
      const dropped = (cap: string) =>
        cap === "ALL"
          ? facts.capDrop.includes("ALL") && facts.capAdd.length === 0
          : (facts.capDrop.includes(cap) || facts.capDrop.includes("ALL")) && !addedBack(cap);
      return {
        // --privileged grants every capability; the engine ignores --cap-drop then.
        passed: !facts.privileged && check.includes.every(dropped),
        expected: check.includes.map((cap) => `--cap-drop ${cap}`).join(" "),
        actual: showCapabilities(facts),
        evidence: capabilityEvidence(facts),
      };
    },
  },

  capAdd: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => ({
      passed:
        facts.privileged || check.includes.every((cap) => facts.capAdd.includes(cap) || facts.capAdd.includes("ALL")),
      expected: check.includes.map((cap) => `--cap-add ${cap}`).join(" "),
      actual: showCapabilities(facts),
      evidence: capabilityEvidence(facts),
    }),
  },

  path: {
    needs: (check) => ({ paths: [check] }),
    evaluate: (check, { facts, observations }): CheckOutcome => {
      const stat = observations.paths?.[check.id];
      const expected = say(check.exists ? "pathExists" : "pathMissing", { path: check.path });
      if (stat === undefined) {
        return {
          passed: false,
          expected,
          actual: say("containerIs", { state: facts.status }),
          evidence: { stat: null },
        };
      }
      if (stat !== null && isUnobservable(stat)) {
        return { passed: false, expected, actual: unobservableReason(stat, facts), evidence: { stat: null } };
      }
      return {
        passed: (stat !== null) === check.exists,
        expected,
        actual: say(stat ? "pathExists" : "pathMissing", { path: check.path }),
        evidence: { exists: stat !== null, ...(stat ? { size: stat.size, mode: stat.mode } : {}) },
      };
    },
  },

  copiedIn: {
    needs: () => ({ events: true }),
    evaluate: (_check, { observations }): CheckOutcome => {
      const id = observations.facts?.id;
      const own = observations.events?.filter((event) => event.containerId === id);
      const copies = own?.filter((event) => event.action === "extract-to-dir").length ?? 0;
      // The engine keeps only its newest 256 events: on a busy engine this container's creation, and
      // any copy after it, may already be forgotten. Then the log proves nothing either way.
      const remembersCreation = own?.some((event) => event.action === "create") ?? false;
      return {
        passed: copies > 0,
        expected: say("copiedIn"),
        actual: !own
          ? say("eventLogUnread")
          : copies > 1
            ? say("copiedInTimes", { count: copies })
            : copies === 1
              ? say("copiedIn")
              : remembersCreation
                ? say("noCopyIn")
                : say("eventLogForgotten"),
        evidence: { eventsRead: own !== undefined, copies, remembersCreation },
      };
    },
  },

  removedByPrune: {
    needs: () => ({ events: true }),
    evaluate: (check, { observations }): CheckOutcome => {
      const events = observations.events ?? [];
      // As for copiedIn: a log that no longer reaches the graded container's creation may have
      // forgotten the removals and the prune too, and then proves nothing either way.
      const remembersCreation = events.some(
        (event) => event.action === "create" && event.containerId === observations.facts?.id,
      );
      const prunes = events.filter((event) => event.action === "prune" && event.name === "").map((event) => event.atMs);
      const byPrune = (name: string) =>
        events.some(
          (event) =>
            event.action === "destroy" &&
            event.name === name &&
            prunes.some((at) => at >= event.atMs && at - event.atMs <= check.withinMs),
        );
      const missed = check.names.filter((name) => !byPrune(name));
      const names = check.names.join(", ");
      return {
        passed: observations.events !== undefined && missed.length === 0,
        expected: say("removedByPrune", { names }),
        actual: !observations.events
          ? say("eventLogUnread")
          : missed.length === 0
            ? say("removedByPrune", { names })
            : remembersCreation
              ? say("notRemovedByPrune", { names: missed.join(", ") })
              : say("eventLogForgotten"),
        evidence: { eventsRead: observations.events !== undefined, prunes: prunes.length, missed, remembersCreation },
      };
    },
  },

  noRunAfterBase: {
    needs: (check) => ({ histories: [check] }),
    evaluate: (check, { facts, observations }): CheckOutcome => {
      const history = observations.histories?.[check.id];
      const expected = say("noRunAfterBase", { base: check.base });
      if (!history?.image || !history.base) {
        return { passed: false, expected, actual: say("imageGone", { image: facts.image }), evidence: { steps: null } };
      }
      const own = stepsAfter(history.image, history.base);
      if (!own) {
        return { passed: false, expected, actual: say("notBuiltOn", { base: check.base }), evidence: { steps: null } };
      }
      const ran = own.find(ranACommand);
      return {
        passed: ran === undefined,
        expected,
        actual: ran ? say("runAfterBase", { step: ran.createdBy.slice(0, 120) }) : expected,
        evidence: { steps: own.map((step) => step.createdBy.slice(0, 200)) },
      };
    },
  },

  historyOrder: {
    needs: () => ({ imageHistory: true }),
    evaluate: (check, { facts, observations }): CheckOutcome => {
      const history = observations.imageHistory;
      const expected = check.steps.map((step) => step.shown).join(" → ");
      if (!history) {
        return { passed: false, expected, actual: say("imageGone", { image: facts.image }), evidence: { steps: null } };
      }
      // Each step is looked for after the one that matched the step before it.
      let from = 0;
      let missing: Shown | undefined;
      for (const [index, step] of check.steps.entries()) {
        const pattern = new RegExp(step.matches, "i");
        const at = history.findIndex((made, i) => i >= from && pattern.test(made.createdBy));
        if (at < 0) {
          const previous = check.steps[index - 1];
          missing = previous
            ? say("historyStepAfter", { step: step.shown, previous: previous.shown })
            : say("historyStepMissing", { step: step.shown });
          break;
        }
        from = at + 1;
      }
      return {
        passed: missing === undefined,
        expected,
        actual: missing ?? expected,
        evidence: { steps: history.map((step) => step.createdBy.slice(0, 200)) },
      };
    },
  },

  logConfig: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => {
      const show = (driver: string, options: Record<string, string>) =>
        [
          `--log-driver ${driver || "?"}`,
          ...Object.entries(options).map(([key, value]) => `--log-opt ${key}=${value}`),
        ].join(" ");
      const { driver, options } = facts.logConfig;
      // Sizes are case-blind to the engine (10m and 10M are one size).
      const passed =
        driver === check.driver &&
        Object.entries(check.options).every(([key, value]) => options[key]?.toLowerCase() === value.toLowerCase());
      return {
        passed,
        expected: show(check.driver, check.options),
        actual: show(driver, options),
        evidence: { logConfig: facts.logConfig },
      };
    },
  },

  securityOpt: {
    needs: inspectOnly,
    evaluate: (check, { facts }) => {
      const held = facts.securityOpt.map(securityOptionName).filter((name): name is string => name !== undefined);
      return {
        passed: check.includes.every((option) => held.includes(option)),
        expected: check.includes.map((option) => `--security-opt ${option}`).join(" "),
        actual:
          facts.securityOpt.length > 0 ? facts.securityOpt.map((o) => `--security-opt ${o}`).join(" ") : say("none"),
        evidence: { securityOpt: facts.securityOpt },
      };
    },
  },

  exec: {
    needs: (check) => ({ execs: [check] }),
    evaluate: (check, { facts, observations }): CheckOutcome => {
      const outcome = observations.exec?.[check.id];
      const expected = check.outputContains
        ? say("execExpectedOutput", { exitCode: check.exitCode, output: check.outputContains })
        : say("execExpected", { exitCode: check.exitCode });
      if (!outcome || isUnobservable(outcome)) {
        return {
          passed: false,
          expected,
          actual: outcome ? unobservableReason(outcome, facts) : say("containerIs", { state: facts.status }),
          evidence: { exec: null },
        };
      }
      if (outcome.timedOut) {
        // Observations from before deadlines were reported say only that it timed out.
        const actual =
          outcome.deadlineMs === undefined
            ? say("timedOut")
            : say("execStoppedAtDeadline", { seconds: String(outcome.deadlineMs / 1000) });
        return {
          passed: false,
          expected,
          actual,
          evidence: { timedOut: true, deadlineMs: outcome.deadlineMs ?? null },
        };
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
  },
};

export function evaluateCheck(check: Check, context: CheckContext): CheckOutcome {
  return kindOf(check.type).evaluate(check, context);
}

/** The engine calls an exercise's checks need beyond the first inspect, each asked for once. */
export function planObservations(exercise: ContainerExercise): ObservationPlan {
  return exercise.checks.reduce((plan, check) => addNeeds(plan, kindOf(check.type).needs(check)), INSPECT_ONLY);
}

/** Indexing the mapped table with a generic key keeps each check paired with its own entry. */
function kindOf<T extends CheckType>(type: T): CheckKind<T> {
  return CHECKS[type];
}
