import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import Docker from "dockerode";
import pLimit from "p-limit";
import { z } from "zod";
import { EngineFailure, EngineRefused, EngineUnavailable } from "../errors/domain-errors.js";
import {
  COMPOSE_LABELS,
  type ContainerEvent,
  type ContainerFacts,
  containerFactsFromInspect,
  type HistoryStep,
  type ImageFacts,
  imageFactsFromInspect,
  type PathStat,
  type ProcessList,
  type VolumeFacts,
  type VolumeMount,
  volumeFactsFromInspect,
} from "./container-facts.js";
import { isValidContainerName } from "./container-name.js";
import { ContainerStateError, InvalidContainerNameError } from "./errors.js";
import { PS_ARGV, processListFromPs } from "./ps-output.js";
import { DockerStreamDecoder } from "./stream.js";

/**
 * The newest Engine API version this project is tested against (Engine 26.1, from Debian 13's docker.io,
 * which the test lab runs on both image stores).
 * Newer engines still serve it; we never ask for a version we have not run our tests on.
 */
export const NEWEST_TESTED_API_VERSION = "1.45";

export interface EngineOptions {
  /** DOCKER_HOST form: unix:///path/to/docker.sock or tcp://host:port. Default: /var/run/docker.sock. */
  host?: string | undefined;
  timeoutMs: number;
  concurrency: number;
  /** The longest any exec may run, whatever its caller asks (absent: the caller's timeout alone). */
  execTimeoutMs?: number | undefined;
  apiVersionCeiling?: string;
  /** Client certificate for a tcp:// engine that requires TLS (dockerd --tlsverify); speaks https. */
  tls?: { ca?: string | undefined; cert: string; key: string } | undefined;
}

export interface NegotiatedVersion {
  apiVersion: string;
  engineApiVersion: string;
  engineVersion: string;
  /** False when the engine no longer serves any version we tested, and we had to go above it. */
  tested: boolean;
}

export interface BoundedOutput {
  text: string;
  truncated: boolean;
}

export interface ExecOutcome extends BoundedOutput {
  /** Null when the command did not finish within its timeout. */
  exitCode: number | null;
  timedOut: boolean;
  /** The deadline the command ran under: the caller's timeout, at most the engine's execTimeoutMs. */
  deadlineMs: number;
}

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

const DEFAULT_SOCKET = "/var/run/docker.sock";

export function createDockerEngine(options: EngineOptions): DockerEngine {
  const connection = withTls(parseDockerHost(options.host), options.tls);
  const endpoint = connection.endpoint;
  const ceiling = options.apiVersionCeiling ?? NEWEST_TESTED_API_VERSION;
  const limit = pLimit(options.concurrency);
  // /_ping and /version answer without a version prefix on every engine, so negotiation can use them.
  const unversioned = new Docker(connection.modemOptions);
  let versioned: Promise<{ docker: Docker; version: NegotiatedVersion }> | undefined;

  function call<T>(description: string, run: (signal: AbortSignal) => Promise<T>, timeoutMs = options.timeoutMs) {
    // The deadline covers the wait for a free slot too, so a saturated engine answers 503 instead of hanging.
    const signal = AbortSignal.timeout(timeoutMs);
    return limit(async () => {
      if (signal.aborted) {
        const reason = `no free slot within ${timeoutMs} ms`;
        throw new EngineUnavailable(endpoint, reason, `${description}: ${reason}`);
      }
      try {
        return await run(signal);
      } catch (error) {
        throw classify(error, description, timeoutMs, signal);
      }
    });
  }

  /**
   * What a failed call means, in words that say nothing more about the address than that it failed:
   * a lab's engine URL is chosen by an API client, and "refused" against "reset" would make this
   * service its port scanner. What the socket or engine said goes to `diagnosis`, for our log only.
   */
  function classify(error: unknown, description: string, timeoutMs: number, signal: AbortSignal): unknown {
    if (error instanceof EngineFailure || error instanceof ContainerStateError) return error;
    const said = `${description}: ${describeFailure(error)}`;
    if (signal.aborted)
      return new EngineUnavailable(endpoint, `no answer within ${timeoutMs} ms`, said, { cause: error });
    const statusCode = (error as { statusCode?: unknown }).statusCode;
    if (typeof statusCode === "number") {
      if (statusCode >= 500) return new EngineUnavailable(endpoint, "it failed on its side", said, { cause: error });
      return new EngineRefused(endpoint, "refused this service's requests", said, { cause: error });
    }
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && isCertificateFailure(code)) {
      return new EngineRefused(endpoint, "refused the TLS handshake: a certificate was not accepted", said, {
        cause: error,
      });
    }
    return new EngineUnavailable(endpoint, "could not connect", said, { cause: error });
  }

  async function negotiateOnce(): Promise<{ docker: Docker; version: NegotiatedVersion }> {
    const info = await call("version", (signal) => withSignal(unversioned.version, unversioned, signal));
    const engineApiVersion = info.ApiVersion;
    const minimum = (info as { MinAPIVersion?: string }).MinAPIVersion ?? "1.12";
    let apiVersion = compareApiVersions(engineApiVersion, ceiling) < 0 ? engineApiVersion : ceiling;
    const tested = compareApiVersions(apiVersion, minimum) >= 0;
    // Engines drop old API versions over time; the fields we read have been stable, so follow the engine up.
    if (!tested) apiVersion = minimum;
    const version = { apiVersion, engineApiVersion, engineVersion: info.Version, tested };
    return { docker: new Docker({ ...connection.modemOptions, version: `v${apiVersion}` }), version };
  }

  function client() {
    if (!versioned) {
      versioned = negotiateOnce();
      // Retry on the next call instead of caching a failure: the engine may come up later.
      versioned.catch(() => {
        versioned = undefined;
      });
    }
    return versioned;
  }

  /** Validates the name before anything reaches the engine, negotiation included. */
  async function container(name: string) {
    if (!isValidContainerName(name)) throw new InvalidContainerNameError(name);
    const { docker } = await client();
    // dockerode puts the id into the path as it is; a name like ../images would reach another endpoint.
    return { docker, target: docker.getContainer(encodeURIComponent(name)) };
  }

  function stateError(name: string, error: unknown): never {
    const statusCode = (error as { statusCode?: unknown }).statusCode;
    if (statusCode === 404 || statusCode === 409) {
      const message = (error as { json?: { message?: unknown } }).json?.message;
      throw new ContainerStateError(name, statusCode, typeof message === "string" ? message : String(error));
    }
    throw error;
  }

  /** The engine's event log from `since` to `until` (RFC 3339 on its clock), as it logged them. */
  async function readEvents(description: string, filter: Record<string, string[]>, since: string, until: string) {
    const { docker } = await client();
    return call(description, async (signal) => {
      const query = { since: unixSeconds(since), until: unixSeconds(until), filters: JSON.stringify(filter) };
      const stream = (await docker.getEvents({ ...query, abortSignal: signal } as Docker.GetEventsOptions)) as Readable;
      const events: EngineEvent[] = [];
      try {
        for await (const event of engineEvents(stream)) events.push(event);
      } finally {
        stream.destroy();
      }
      return events;
    });
  }

  const engine: DockerEngine = {
    endpoint,

    async ping() {
      await call("ping", (signal) => withSignal(unversioned.ping, unversioned, signal));
    },

    async negotiate() {
      return (await client()).version;
    },

    async inspectContainer(name) {
      const { target } = await container(name);
      const inspect = await call(`inspect ${name}`, (signal) => unlessMissing(target.inspect({ abortSignal: signal })));
      return inspect === undefined ? undefined : containerFactsFromInspect(inspect);
    },

    async inspectImage(id) {
      const { docker } = await client();
      // Only IDs reach here (the container's Image field), never a name from a request.
      const image = docker.getImage(encodeURIComponent(id));
      const inspect = await call(`inspect image ${id}`, (signal) =>
        unlessMissing(withSignal(image.inspect, image, signal)),
      );
      return inspect === undefined ? undefined : imageFactsFromInspect(inspect);
    },

    async systemTime() {
      const { docker } = await client();
      const info = await call("info", (signal) => withSignal(docker.info, docker, signal));
      return String((info as { SystemTime?: unknown }).SystemTime ?? "");
    },

    async findComposeContainer(project, service) {
      const { docker } = await client();
      const filters = JSON.stringify({
        label: [`${COMPOSE_LABELS.project}=${project}`, `${COMPOSE_LABELS.service}=${service}`],
      });
      const found = await call(`list containers of ${project}/${service}`, (signal) =>
        docker.listContainers({ all: true, filters, abortSignal: signal } as Docker.ContainerListOptions),
      );
      const replica = (c: Docker.ContainerInfo) => Number(c.Labels[COMPOSE_LABELS.containerNumber] ?? "1");
      const first = found.sort((a, b) => replica(a) - replica(b))[0];
      return first?.Names[0]?.replace(/^\//, "");
    },

    async containerEvents(since, until) {
      const events = await readEvents("events", { type: ["container"] }, since, until);
      return events.map((event) => ({
        action: event.action,
        name: event.attributes.name ?? "",
        containerId: event.actorId,
        atMs: event.atMs,
      }));
    },

    async inspectVolume(name) {
      const { docker } = await client();
      const volume = docker.getVolume(encodeURIComponent(name));
      const inspect = await call(`inspect volume ${name}`, (signal) =>
        unlessMissing(withSignal(volume.inspect, volume, signal)),
      );
      return inspect === undefined ? undefined : volumeFactsFromInspect(inspect);
    },

    async volumeMounts(name, since, until) {
      const events = await readEvents(`events of volume ${name}`, { type: ["volume"], volume: [name] }, since, until);
      return events
        .filter((event) => event.action === "mount" && event.attributes.container)
        .map((event) => ({ containerId: event.attributes.container ?? "", atMs: event.atMs }));
    },

    async imageHistory(image) {
      const { docker } = await client();
      const target = docker.getImage(image);
      // dockerode's history() takes no options, so no abort signal: the call's deadline still bounds it.
      const history = await call(`history of ${image}`, () =>
        unlessMissing(target.history() as Promise<{ CreatedBy?: unknown }[]>),
      );
      return history?.map((step) => ({ createdBy: String(step.CreatedBy ?? "") })).reverse();
    },

    async top(name) {
      const { target } = await container(name);
      const listed = await call(`top ${name}`, async (signal) => {
        try {
          const result = (await withSignal(target.top, target, signal)) as {
            Titles?: string[];
            Processes?: string[][];
          };
          return { titles: result.Titles ?? [], processes: result.Processes ?? [] };
        } catch (error) {
          if (cannotListPids(error)) return error;
          stateError(name, error);
        }
      });
      if (!(listed instanceof Error)) return listed;
      // A rootless engine on cgroup v1 has no cgroup of its own to read the container's pids from
      // (runc: "unable to get all container pids"), so the container lists them itself, in its own slot
      // and under the exec deadline.
      const ps = await engine.execFixed(name, PS_ARGV, { timeoutMs: options.timeoutMs, maxBytes: PS_MAX_BYTES });
      if (ps.exitCode !== 0) {
        const why = ps.timedOut ? `ps timed out after ${ps.deadlineMs} ms` : `ps exited ${ps.exitCode}`;
        throw new EngineUnavailable(
          endpoint,
          "it could not list the container's processes",
          `top ${name}: ${listed.message.split("\n")[0]}; ${why}: ${ps.text.slice(0, 200)}`,
          { cause: listed },
        );
      }
      return processListFromPs(ps.text, ps);
    },

    async statPath(name, path) {
      const { target } = await container(name);
      return call(`stat ${path} in ${name}`, async (signal) => {
        try {
          const response = (await target.infoArchive({ path, abortSignal: signal } as { path: string })) as {
            headers: Record<string, string | undefined>;
            resume?: () => void;
          };
          response.resume?.();
          const header = response.headers["x-docker-container-path-stat"];
          const stat = JSON.parse(Buffer.from(header ?? "", "base64").toString("utf8") || "{}") as Partial<PathStat>;
          return { size: stat.size ?? 0, mode: stat.mode ?? 0, linkTarget: stat.linkTarget ?? "" };
        } catch (error) {
          if ((error as { statusCode?: unknown }).statusCode !== 404) throw error;
        }
        // A HEAD answer has no body to say which is missing, the path or the container: ask.
        try {
          await withSignal(target.inspect, target, signal);
        } catch (error) {
          stateError(name, error);
        }
        return null;
      });
    },

    async logsTail(name, { lines, maxBytes }) {
      const { docker, target } = await container(name);
      return call(`logs ${name}`, async (signal) => {
        try {
          // dockerode buffers the whole body unless it is a stream: ask for one and keep only the newest bytes.
          const stream = (await new Promise<Readable>((resolve, reject) => {
            docker.modem.dial(
              {
                path: `/containers/${target.id}/logs?`,
                method: "GET",
                isStream: true,
                abortSignal: signal,
                statusCodes: { 200: true, 404: "no such container", 500: "server error" },
                options: { stdout: true, stderr: true, follow: false, tail: lines },
              },
              (error, data) => (error ? reject(error) : resolve(data as Readable)),
            );
          })) as Readable;
          const output = await readDecoded(stream, {
            keep: "tail",
            maxBytes,
            ceilingBytes: LOGS_READ_CEILING_BYTES,
            signal,
          });
          if (output.aborted) throw signal.reason;
          return { text: output.text, truncated: output.truncated };
        } catch (error) {
          stateError(name, error);
        }
      });
    },

    async execFixed(name, argv, { timeoutMs, maxBytes }) {
      const { target } = await container(name);
      const deadlineMs = Math.min(timeoutMs, options.execTimeoutMs ?? timeoutMs);
      // One slot and one deadline for the calls an exec takes (create, start, inspect, or the kill).
      return call(
        `exec in ${name}`,
        async (signal) => {
          try {
            // The deadline runs from the command's start, when `sh` tells its pid: under a busy engine,
            // a deadline that ran out before then would leave a command nobody can name to kill.
            const commandDeadline = new AbortController();
            let deadlineTimer: NodeJS.Timeout | undefined;
            const pidLine = new PidLine(() => {
              deadlineTimer = setTimeout(() => commandDeadline.abort(), deadlineMs);
            });
            const exec = await target.exec({
              Cmd: pidLine.wrap(argv),
              AttachStdout: true,
              AttachStderr: true,
              Tty: false,
              abortSignal: signal,
            } as Docker.ExecCreateOptions);
            const stream = (await exec.start({ hijack: false, stdin: false, abortSignal: signal })) as Readable;
            const output = await readDecoded(stream, {
              keep: "head",
              maxBytes,
              ceilingBytes: Number.POSITIVE_INFINITY,
              signal: AbortSignal.any([signal, commandDeadline.signal]),
              filter: pidLine,
            }).finally(() => clearTimeout(deadlineTimer));
            const { aborted, ...bounded } = output;
            if (aborted && !signal.aborted) {
              if (pidLine.pid !== undefined) await killProcessGroup(target, pidLine.pid, signal);
              return { ...bounded, exitCode: null, timedOut: true, deadlineMs };
            }
            if (aborted) throw signal.reason;
            const inspected = await exec.inspect({ abortSignal: signal } as object);
            return { ...bounded, exitCode: inspected.ExitCode ?? null, timedOut: false, deadlineMs };
          } catch (error) {
            stateError(name, error);
          }
        },
        options.timeoutMs + deadlineMs,
      );
    },

    close() {
      // The modem opens a connection per request and keeps no pool: only calls still queued remain to drop.
      limit.clearQueue();
    },
  };
  return engine;
}

/** Each event in the engine's stream (one JSON object per line): its action and when, in ms. */
/** One line of the engine's event stream: what happened, to what (its id or name), and the attributes logged. */
interface EngineEvent {
  action: string;
  actorId: string;
  attributes: Partial<Record<string, string>>;
  atMs: number;
}

const EventLineSchema = z.object({
  Action: z.string(),
  timeNano: z.number(),
  Actor: z
    .object({ ID: z.string().default(""), Attributes: z.record(z.string(), z.string()).nullish() })
    .default({ ID: "" }),
});

async function* engineEvents(stream: Readable): AsyncGenerator<EngineEvent> {
  let pending = "";
  for await (const chunk of stream) {
    const lines = (pending + String(chunk)).split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (line.trim() === "") continue;
      const event = EventLineSchema.safeParse(JSON.parse(line));
      if (!event.success) continue;
      yield {
        action: event.data.Action,
        actorId: event.data.Actor.ID,
        attributes: event.data.Actor.Attributes ?? {},
        atMs: event.data.timeNano / 1e6,
      };
    }
  }
}

/**
 * The first line an exec'd command's `sh` writes: a nonce and its own pid, as the container's pid
 * namespace numbers it. `exec` keeps that pid for the command, and the engine starts every exec in a
 * process group of its own, so the pid names the group to kill. The line is taken out of the output
 * wherever it falls (stderr may come first); the nonce keeps the command's own output from posing as it.
 */
class PidLine implements OutputFilter {
  pid: number | undefined;
  constructor(
    /** Called once: when the pid is read, or when the line is given up on. */
    private readonly onStart: () => void,
  ) {}
  private readonly nonce = `aprendiendo-exec-${randomBytes(8).toString("hex")}`;
  private readonly pattern = new RegExp(`${this.nonce} (\\d+)\\n`);
  private held: Buffer | undefined = Buffer.alloc(0);

  wrap(argv: readonly string[]): string[] {
    return ["sh", "-c", 'echo "$0 $$"; exec "$@"', this.nonce, ...argv];
  }

  push(payloads: Buffer[]): Buffer[] {
    if (this.held === undefined) return payloads;
    const held = Buffer.concat([this.held, ...payloads]);
    const text = held.toString("latin1");
    const found = this.pattern.exec(text);
    if (found) {
      this.pid = Number(found[1]);
      this.held = undefined;
      this.onStart();
      return [held.subarray(0, found.index), held.subarray(found.index + found[0].length)];
    }
    // A wrapper that never spoke (no `sh` in the image: the engine's error is the output) is given up on.
    if (held.length > PID_LINE_MAX_WAIT_BYTES) {
      this.onStart();
      return this.end([held]);
    }
    this.held = held;
    return [];
  }

  end(payloads: Buffer[] = []): Buffer[] {
    const rest = this.held ? [this.held, ...payloads] : payloads;
    this.held = undefined;
    return rest;
  }
}

const PID_LINE_MAX_WAIT_BYTES = 4096;

/**
 * Kills an exec'd command past its deadline with a second exec, `kill -KILL` of its process group
 * (its children too), else of its pid alone. `sh`'s own `kill` needs no binary the image may lack.
 */
async function killProcessGroup(target: Docker.Container, pid: number, signal: AbortSignal): Promise<void> {
  const kill = await target.exec({
    Cmd: ["sh", "-c", 'kill -KILL -- "-$0" 2>/dev/null || kill -KILL "$0"', String(pid)],
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    abortSignal: signal,
  } as Docker.ExecCreateOptions);
  const stream = (await kill.start({ hijack: false, stdin: false, abortSignal: signal })) as Readable;
  await readDecoded(stream, { keep: "head", maxBytes: 1024, ceilingBytes: 64 * 1024, signal });
}

/** Most bytes of `ps` output read when the engine cannot list a container's processes itself. */
const PS_MAX_BYTES = 256 * 1024;

/** The engine's 500 when runc cannot find a container's pids: a rootless engine on cgroup v1 has no cgroups. */
function cannotListPids(error: unknown): error is Error {
  const { statusCode, message } = error as { statusCode?: unknown; message?: unknown };
  return statusCode === 500 && typeof message === "string" && /container pids/.test(message);
}

/** An RFC 3339 time as the Unix seconds (with a fraction) the events endpoint reads. */
function unixSeconds(time: string): number {
  return Date.parse(time) / 1000;
}

/** The engine's answer, or undefined when it says there is no such object (404). */
async function unlessMissing<T>(answer: Promise<T>): Promise<T | undefined> {
  try {
    return await answer;
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode === 404) return undefined;
    throw error;
  }
}

/** dockerode reads `abortSignal` from every method's options; its type definitions omit it for some. */
function withSignal<T>(method: () => Promise<T>, self: object, signal: AbortSignal): Promise<T> {
  return (method as unknown as (options: { abortSignal: AbortSignal }) => Promise<T>).call(self, {
    abortSignal: signal,
  });
}

/** One line for the log: a socket's error code, an engine's status, or the message. */
function describeFailure(error: unknown): string {
  const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode === "number") return `HTTP ${statusCode}`;
  if (typeof code === "string") return code;
  return error instanceof Error ? (error.message.split("\n")[0]?.slice(0, 300) ?? error.name) : String(error);
}

/**
 * A TLS handshake that ended on a certificate: the engine's alert about ours (ERR_SSL_…_ALERT_…, e.g.
 * UNKNOWN_CA, BAD_CERTIFICATE, CERTIFICATE_REQUIRED), or OpenSSL's verdict on the engine's
 * (UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID…). A port that
 * does not speak TLS at all (ERR_SSL_WRONG_VERSION_NUMBER) is no refusal: it could not connect.
 */
function isCertificateFailure(code: string): boolean {
  return /^ERR_SSL_.*_ALERT_|CERT|SIGNATURE|ISSUER/.test(code) && !/WRONG_VERSION/.test(code);
}

/** Takes something out of decoded output as it streams; `end` hands over whatever it still holds. */
interface OutputFilter {
  push(payloads: Buffer[]): Buffer[];
  end(payloads: Buffer[]): Buffer[];
}

/** Most raw bytes a log tail reads before giving up on reaching the end (very long lines). */
const LOGS_READ_CEILING_BYTES = 8 * 1024 * 1024;

/**
 * Decodes a Docker output stream and keeps `maxBytes` of it: the first ones (`head`, for exec
 * output) or the newest ones (`tail`, for logs); the rest is read and dropped, so memory stays
 * bounded. Stops at the end, after `ceilingBytes` raw bytes, or when the signal fires.
 */
async function readDecoded(
  stream: Readable,
  options: {
    keep: "head" | "tail";
    maxBytes: number;
    ceilingBytes: number;
    signal: AbortSignal;
    filter?: OutputFilter;
  },
): Promise<BoundedOutput & { aborted: boolean }> {
  const decoder = new DockerStreamDecoder();
  const filter = options.filter ?? { push: (payloads: Buffer[]) => payloads, end: (payloads: Buffer[]) => payloads };
  let kept: Buffer[] = [];
  let keptBytes = 0;
  let rawBytes = 0;
  let dropped = false;

  const keep = (payloads: Buffer[]) => {
    for (const payload of payloads) {
      kept.push(payload);
      keptBytes += payload.length;
    }
    if (keptBytes <= options.maxBytes) return;
    const all = Buffer.concat(kept);
    const window =
      options.keep === "head" ? all.subarray(0, options.maxBytes) : all.subarray(all.length - options.maxBytes);
    kept = [window];
    keptBytes = window.length;
    dropped = true;
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (aborted: boolean, readToEnd: boolean) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener("abort", onAbort);
      stream.removeAllListeners("data");
      stream.destroy();
      keep(filter.end(readToEnd ? decoder.end() : []));
      resolve({ text: Buffer.concat(kept).toString("utf8"), truncated: dropped || !readToEnd, aborted });
    };
    const onAbort = () => finish(true, false);
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener("abort", onAbort, { once: true });
    stream.on("data", (chunk: Buffer) => {
      rawBytes += chunk.length;
      keep(filter.push(decoder.push(chunk)));
      if (rawBytes >= options.ceilingBytes) finish(false, false);
    });
    stream.once("end", () => finish(false, true));
    stream.once("error", (error) => {
      if (settled) return;
      if (options.signal.aborted) return finish(true, false);
      settled = true;
      options.signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
}

interface DockerConnection {
  endpoint: string;
  modemOptions: Docker.DockerOptions;
}

export function parseDockerHost(host: string | undefined): DockerConnection {
  if (!host) return { endpoint: `unix://${DEFAULT_SOCKET}`, modemOptions: { socketPath: DEFAULT_SOCKET } };
  if (host.startsWith("unix://")) {
    const socketPath = host.slice("unix://".length);
    return { endpoint: host, modemOptions: { socketPath } };
  }
  if (host.startsWith("tcp://")) {
    const url = new URL(host.replace(/^tcp:/, "http:"));
    return {
      endpoint: host,
      modemOptions: { host: url.hostname, port: Number(url.port), protocol: "http" },
    };
  }
  if (host.startsWith("npipe://")) {
    const socketPath = host.slice("npipe://".length);
    return { endpoint: host, modemOptions: { socketPath } };
  }
  throw new Error(`unsupported DOCKER_HOST ${JSON.stringify(host)}: expected unix://, tcp:// or npipe://`);
}

function withTls(connection: DockerConnection, tls: EngineOptions["tls"]): DockerConnection {
  if (!tls || connection.modemOptions.socketPath) return connection;
  return { ...connection, modemOptions: { ...connection.modemOptions, protocol: "https", ...tls } };
}

/** Compares "1.41"-style API versions numerically (1.9 < 1.41). */
export function compareApiVersions(a: string, b: string): number {
  const [aMajor = 0, aMinor = 0] = a.split(".").map(Number);
  const [bMajor = 0, bMinor = 0] = b.split(".").map(Number);
  return aMajor - bMajor || aMinor - bMinor;
}
