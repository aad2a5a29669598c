import { z } from "zod";

/**
 * The part of the Engine API's container inspect JSON that checks read, parsed leniently:
 * engines of different versions leave different fields null or absent.
 */
const nullableArray = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((value) => value ?? []);
const nullableRecord = <T extends z.ZodType>(value: T) =>
  z
    .record(z.string(), value)
    .nullish()
    .transform((record) => record ?? {});

const PortBindingsSchema = nullableRecord(
  nullableArray(z.object({ HostIp: z.string().default(""), HostPort: z.string() })),
);

const InspectSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  /** When it was created, on the engine's clock. */
  Created: z.string().default(""),
  /** The image's ID, whatever the learner typed. */
  Image: z.string().default(""),
  RestartCount: z.number().int().default(0),
  State: z.object({
    Status: z.string(),
    Running: z.boolean(),
    ExitCode: z.number().int(),
    StartedAt: z.string().default(""),
    FinishedAt: z.string().default(""),
    OOMKilled: z.boolean().default(false),
    Error: z.string().default(""),
    /** Only for a container with a health check (the image's HEALTHCHECK or `--health-cmd`). */
    Health: z.object({ Status: z.string(), FailingStreak: z.number().int().default(0) }).nullish(),
  }),
  Config: z.object({
    Image: z.string(),
    Cmd: z.array(z.string()).nullish(),
    Entrypoint: z.array(z.string()).nullish(),
    Tty: z.boolean().default(false),
    OpenStdin: z.boolean().default(false),
    User: z.string().default(""),
    Env: nullableArray(z.string()),
    Labels: nullableRecord(z.string()),
  }),
  HostConfig: z.object({
    PortBindings: PortBindingsSchema,
    /** Bytes; 0 is no limit. */
    Memory: z.number().int().default(0),
    /** `--cpus` in billionths of a CPU; 0 is no limit. */
    NanoCpus: z.number().int().default(0),
    /** `--cpu-quota` and `--cpu-period` (microseconds), the older way to say the same as `--cpus`. */
    CpuQuota: z.number().int().default(0),
    CpuPeriod: z.number().int().default(0),
    ReadonlyRootfs: z.boolean().default(false),
    Privileged: z.boolean().default(false),
    CapAdd: nullableArray(z.string()),
    CapDrop: nullableArray(z.string()),
    SecurityOpt: nullableArray(z.string()),
    LogConfig: z
      .object({ Type: z.string().default(""), Config: nullableRecord(z.string()) })
      .nullish()
      .transform((config) => config ?? { Type: "", Config: {} }),
    RestartPolicy: z
      .object({ Name: z.string().default("no"), MaximumRetryCount: z.number().int().default(0) })
      .nullish()
      .transform((policy) => policy ?? { Name: "no", MaximumRetryCount: 0 }),
  }),
  Mounts: nullableArray(
    z.object({
      Type: z.string(),
      Name: z.string().optional(),
      Source: z.string().default(""),
      Destination: z.string(),
      RW: z.boolean().default(true),
    }),
  ),
  NetworkSettings: z
    .object({ Networks: nullableRecord(z.unknown()), Ports: PortBindingsSchema })
    .default({ Networks: {}, Ports: {} }),
});

/** The labels Compose puts on every container it makes: which project and which service it belongs to. */
export const COMPOSE_LABELS = {
  project: "com.docker.compose.project",
  service: "com.docker.compose.service",
  containerNumber: "com.docker.compose.container-number",
} as const;

/** The part of an image inspect that checks read. */
const ImageInspectSchema = z.object({
  Id: z.string(),
  RepoTags: nullableArray(z.string()),
  RepoDigests: nullableArray(z.string()),
  Config: z
    .object({ Cmd: z.array(z.string()).nullish(), Entrypoint: z.array(z.string()).nullish() })
    .nullish()
    .transform((config) => config ?? {}),
});

export type PortBinding = {
  hostIp: string;
  /** One port, or a range such as "8080-8081" in a request (HostConfig) that the engine narrows to one when it binds. */
  hostPort: string;
};

type MountFact = {
  type: string;
  /** Volume name for volumes, host path for bind mounts. */
  source: string;
  destination: string;
  readOnly: boolean;
};

/** What the grader knows about one container. Env values stay in memory; evidence keeps names only. */
export interface ContainerFacts {
  id: string;
  /** Without the leading slash the engine adds. */
  name: string;
  status: string;
  running: boolean;
  exitCode: number;
  /** RFC 3339 with nanoseconds, by the engine's clock. */
  created: string;
  /** RFC 3339 with nanoseconds, by the engine's clock; year 1 when it never started. */
  startedAt: string;
  finishedAt: string;
  oomKilled: boolean;
  /** Why the engine could not start it (a port already allocated...), or "". */
  error: string;
  restartCount: number;
  /** "starting", "healthy" or "unhealthy"; null for a container without a health check. */
  health: { status: string; failingStreak: number } | null;
  /** As the learner typed it: a name, name:tag, name@digest, an ID or an ID prefix. */
  image: string;
  /** The ID of the image it was created from. */
  imageId: string;
  cmd: string[] | null;
  entrypoint: string[] | null;
  tty: boolean;
  openStdin: boolean;
  /** As `USER` or `--user` set it: a name or uid, with an optional group; "" means root. */
  user: string;
  /** Limits in bytes and CPUs; 0 is no limit. */
  memoryLimit: number;
  cpuLimit: number;
  readOnlyRootfs: boolean;
  /** `--privileged`: every capability and every host device, whatever `--cap-drop` says. */
  privileged: boolean;
  /** As the learner typed them ("NET_RAW", "cap_net_raw", "ALL"), normalized to "NET_RAW" and "ALL". */
  capAdd: string[];
  capDrop: string[];
  /** `--security-opt` as typed: "no-new-privileges", "no-new-privileges:true", "seccomp=unconfined"… */
  securityOpt: string[];
  /** `--log-driver` and `--log-opt`; the driver is "" when the engine did not say. */
  logConfig: { driver: string; options: Record<string, string> };
  /** Keyed "80/tcp": what was asked for (HostConfig), kept after the container stops. */
  portBindings: Record<string, PortBinding[]>;
  /** Keyed "80/tcp": what the engine bound (NetworkSettings), only while the container runs. */
  boundPorts: Record<string, PortBinding[]>;
  env: ReadonlyMap<string, string>;
  labels: Record<string, string>;
  restartPolicy: { name: string; maximumRetryCount: number };
  mounts: MountFact[];
  networks: string[];
}

/** What the grader knows about the image a container was created from. */
export interface ImageFacts {
  id: string;
  /** As Docker prints them: "alpine:latest", "mi-alpine:1.0". */
  repoTags: string[];
  /** "alpine@sha256:…", only for images pulled from or pushed to a registry. */
  repoDigests: string[];
  cmd: string[] | null;
  entrypoint: string[] | null;
}

class UnreadableInspectError extends Error {
  constructor(detail: string) {
    super(`the engine's inspect data could not be read: ${detail}`);
    this.name = "UnreadableInspectError";
  }
}

/** The engine keeps capabilities as typed; the kernel's name has no CAP_ prefix and is upper case. */
const capabilityName = (typed: string) => typed.toUpperCase().replace(/^CAP_/, "");

/**
 * `--cpus 0.5` sets NanoCpus; `--cpu-period 100000 --cpu-quota 50000` limits the same way through
 * the scheduler's quota (a period of 0 means the kernel's 100 ms).
 */
function cpusOf(host: { NanoCpus: number; CpuQuota: number; CpuPeriod: number }): number {
  if (host.NanoCpus > 0) return host.NanoCpus / 1e9;
  if (host.CpuQuota > 0) return host.CpuQuota / (host.CpuPeriod || 100_000);
  return 0;
}

export function containerFactsFromInspect(inspect: unknown): ContainerFacts {
  const parsed = InspectSchema.safeParse(inspect);
  if (!parsed.success) {
    throw new UnreadableInspectError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  const data = parsed.data;
  const ports = (record: Record<string, { HostIp: string; HostPort: string }[]>) =>
    Object.fromEntries(
      Object.entries(record).map(([port, bindings]) => [
        port,
        bindings.map((b) => ({ hostIp: b.HostIp, hostPort: b.HostPort })),
      ]),
    );
  const env = new Map<string, string>();
  for (const entry of data.Config.Env) {
    const equals = entry.indexOf("=");
    env.set(equals < 0 ? entry : entry.slice(0, equals), equals < 0 ? "" : entry.slice(equals + 1));
  }
  return {
    id: data.Id,
    name: data.Name.replace(/^\//, ""),
    created: data.Created,
    status: data.State.Status,
    running: data.State.Running,
    exitCode: data.State.ExitCode,
    startedAt: data.State.StartedAt,
    finishedAt: data.State.FinishedAt,
    oomKilled: data.State.OOMKilled,
    error: data.State.Error,
    restartCount: data.RestartCount,
    health: data.State.Health
      ? { status: data.State.Health.Status, failingStreak: data.State.Health.FailingStreak }
      : null,
    image: data.Config.Image,
    imageId: data.Image,
    cmd: data.Config.Cmd ?? null,
    entrypoint: data.Config.Entrypoint ?? null,
    tty: data.Config.Tty,
    openStdin: data.Config.OpenStdin,
    user: data.Config.User,
    memoryLimit: data.HostConfig.Memory,
    cpuLimit: cpusOf(data.HostConfig),
    readOnlyRootfs: data.HostConfig.ReadonlyRootfs,
    privileged: data.HostConfig.Privileged,
    capAdd: data.HostConfig.CapAdd.map(capabilityName),
    capDrop: data.HostConfig.CapDrop.map(capabilityName),
    securityOpt: data.HostConfig.SecurityOpt,
    logConfig: { driver: data.HostConfig.LogConfig.Type, options: data.HostConfig.LogConfig.Config },
    portBindings: ports(data.HostConfig.PortBindings),
    boundPorts: ports(data.NetworkSettings.Ports),
    env,
    labels: data.Config.Labels,
    restartPolicy: {
      name: data.HostConfig.RestartPolicy.Name || "no",
      maximumRetryCount: data.HostConfig.RestartPolicy.MaximumRetryCount,
    },
    mounts: data.Mounts.map((m) => ({
      type: m.Type,
      source: m.Type === "volume" && m.Name ? m.Name : m.Source,
      destination: m.Destination,
      readOnly: !m.RW,
    })),
    networks: Object.keys(data.NetworkSettings.Networks).sort(),
  };
}

export function imageFactsFromInspect(inspect: unknown): ImageFacts {
  const parsed = ImageInspectSchema.safeParse(inspect);
  if (!parsed.success) {
    throw new UnreadableInspectError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  const data = parsed.data;
  return {
    id: data.Id,
    repoTags: data.RepoTags,
    repoDigests: data.RepoDigests,
    cmd: data.Config.Cmd ?? null,
    entrypoint: data.Config.Entrypoint ?? null,
  };
}

/** A path in a container's filesystem, as the engine's stat of it says (not following a final symlink). */
export type PathStat = { size: number; mode: number; linkTarget: string };

/**
 * One entry of the engine's event log about a container (type "container"), or a container prune
 * (which names no container). The log keeps only the engine's newest 256 events and is lost when it
 * restarts.
 */
export type ContainerEvent = {
  /** "create", "start", "die", "destroy", "extract-to-dir" (a `docker cp` into it), "prune"… */
  action: string;
  /** The container's name when the event was logged; "" for a prune. */
  name: string;
  /** The container's id; "" for a prune. */
  containerId: string;
  /** Milliseconds since the epoch on the engine's clock, to a microsecond or so. */
  atMs: number;
};

/** A named volume, as the engine's inspect of it says. */
export interface VolumeFacts {
  name: string;
  /** RFC 3339, by the engine's clock. */
  createdAt: string;
}

const VolumeInspectSchema = z.object({ Name: z.string(), CreatedAt: z.string().default("") });

export function volumeFactsFromInspect(inspect: unknown): VolumeFacts {
  const parsed = VolumeInspectSchema.safeParse(inspect);
  if (!parsed.success) {
    throw new UnreadableInspectError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  return { name: parsed.data.Name, createdAt: parsed.data.CreatedAt };
}

/** A container mounting a volume, as the engine logged it. */
export type VolumeMount = { containerId: string; atMs: number };

/** One step of an image's history, oldest first: what made a layer or a setting. */
export type HistoryStep = { createdBy: string };

/** What `docker top` lists: its column titles, and each process's values in that order. */
export interface ProcessList {
  titles: string[];
  processes: string[][];
}
