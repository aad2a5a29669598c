import type { BoundedOutput } from "./bounded-output.js";
import type { NegotiatedVersion } from "./connection.js";
import type {
  ContainerEvent,
  ContainerFacts,
  HistoryStep,
  ImageFacts,
  PathStat,
  ProcessList,
  VolumeFacts,
  VolumeMount,
} from "./container-facts.js";
import { withSignal } from "./engine-call.js";
import { createEngineClient, type EngineOptions } from "./engine-client.js";
import { containerEvents, volumeMounts } from "./events.js";
import { type ExecOutcome, execFixed } from "./exec.js";
import {
  findComposeContainer,
  imageHistory,
  inspectContainer,
  inspectImage,
  inspectVolume,
  systemTime,
} from "./inspect.js";
import { logsTail } from "./logs.js";
import { statPath } from "./path-stat.js";
import { top } from "./top.js";

export type { BoundedOutput } from "./bounded-output.js";
export {
  compareApiVersions,
  NEWEST_TESTED_API_VERSION,
  type NegotiatedVersion,
  parseDockerHost,
} from "./connection.js";
export type { EngineOptions } from "./engine-client.js";
export type { ExecOutcome } from "./exec.js";

/** Read-only view of a Docker engine: everything the grader may ask, nothing that changes state but `exec`. */
export interface DockerEngine {
  /** Where the engine is, for messages: unix:///var/run/docker.sock or tcp://host:port. */
  readonly endpoint: string;
  ping(): Promise<void>;
  negotiate(): Promise<NegotiatedVersion>;
  /** What the engine knows of the container, parsed once here; undefined when no container answers to the name. */
  inspectContainer(name: string): Promise<ContainerFacts | undefined>;
  /** The image with this ID (sha256:…); undefined when it is gone. */
  inspectImage(id: string): Promise<ImageFacts | undefined>;
  /** The engine's own clock (/info SystemTime), RFC 3339 with nanoseconds: container times are on it. */
  systemTime(): Promise<string>;
  /**
   * The name of the container Compose made for this project's service (replica 1 first), however
   * this Compose version names it (tienda-web-1 in v2, tienda_web_1 in v1); undefined when none.
   */
  findComposeContainer(project: string, service: string): Promise<string | undefined>;
  /**
   * The engine's log of container events (and container prunes) from `since` to `until`, two RFC 3339
   * times on its clock, in the order it logged them. `until` in the engine's past ends the stream at once.
   */
  containerEvents(since: string, until: string): Promise<ContainerEvent[]>;
  /** A named volume; undefined when there is none by that name (a name read from a container's mounts). */
  inspectVolume(name: string): Promise<VolumeFacts | undefined>;
  /**
   * Each time the engine logged a container mounting this volume, from `since` to `until` (RFC 3339 on
   * its clock), oldest first. The same 256-event log as containerEvents.
   */
  volumeMounts(name: string, since: string, until: string): Promise<VolumeMount[]>;
  /** The steps that made an image, oldest first: by ID, or by a name from exercise content, never a request's. */
  imageHistory(image: string): Promise<HistoryStep[] | undefined>;
  top(name: string): Promise<ProcessList>;
  /**
   * The engine's stat of a path in the container's filesystem (HEAD …/archive), in any state;
   * null when no such path exists. Throws ContainerStateError when the container itself is gone.
   */
  statPath(name: string, path: string): Promise<PathStat | null>;
  logsTail(name: string, options: { lines: number; maxBytes: number }): Promise<BoundedOutput>;
  /**
   * Runs a command that comes from exercise content only; never from a request. At its deadline
   * (`timeoutMs`, at most the engine's execTimeoutMs) the command and its process group are killed.
   * It runs under the container's `sh`, which tells its pid: the Engine API has no call that stops an exec.
   */
  execFixed(
    name: string,
    argv: readonly string[],
    options: { timeoutMs: number; maxBytes: number },
  ): Promise<ExecOutcome>;
  close(): void;
}

export function createDockerEngine(options: EngineOptions): DockerEngine {
  const engine = createEngineClient(options);
  const { unversioned } = engine;
  return {
    endpoint: engine.endpoint,
    async ping() {
      await engine.call("ping", (signal) => withSignal(unversioned.ping, unversioned, signal));
    },
    negotiate: async () => (await engine.versioned()).version,
    inspectContainer: (name) => inspectContainer(engine, name),
    inspectImage: (id) => inspectImage(engine, id),
    systemTime: () => systemTime(engine),
    findComposeContainer: (project, service) => findComposeContainer(engine, project, service),
    containerEvents: (since, until) => containerEvents(engine, since, until),
    inspectVolume: (name) => inspectVolume(engine, name),
    volumeMounts: (name, since, until) => volumeMounts(engine, name, since, until),
    imageHistory: (image) => imageHistory(engine, image),
    top: (name) => top(engine, name),
    statPath: (name, path) => statPath(engine, name, path),
    logsTail: (name, limits) => logsTail(engine, name, limits),
    execFixed: (name, argv, limits) => execFixed(engine, name, argv, limits),
    close: () => engine.close(),
  };
}
