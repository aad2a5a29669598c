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

const InspectSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  RestartCount: z.number().int().default(0),
  State: z.object({
    Status: z.string(),
    Running: z.boolean(),
    ExitCode: z.number().int(),
    StartedAt: z.string().default(""),
  }),
  Config: z.object({
    Image: z.string(),
    Cmd: z.array(z.string()).nullish(),
    Entrypoint: z.array(z.string()).nullish(),
    Tty: z.boolean().default(false),
    OpenStdin: z.boolean().default(false),
    Env: nullableArray(z.string()),
    Labels: nullableRecord(z.string()),
  }),
  HostConfig: z.object({
    PortBindings: nullableRecord(nullableArray(z.object({ HostIp: z.string().default(""), HostPort: z.string() }))),
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
  NetworkSettings: z.object({ Networks: nullableRecord(z.unknown()) }).default({ Networks: {} }),
});

export type PortBinding = {
  hostIp: string;
  hostPort: string;
};

export type MountFact = {
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
  startedAt: string;
  restartCount: number;
  image: string;
  cmd: string[] | null;
  entrypoint: string[] | null;
  tty: boolean;
  openStdin: boolean;
  /** Keyed "80/tcp", from HostConfig: NetworkSettings.Ports empties when the container stops. */
  portBindings: Record<string, PortBinding[]>;
  env: ReadonlyMap<string, string>;
  labels: Record<string, string>;
  restartPolicy: { name: string; maximumRetryCount: number };
  mounts: MountFact[];
  networks: string[];
}

export class UnreadableInspectError extends Error {
  constructor(detail: string) {
    super(`the engine's inspect data could not be read: ${detail}`);
    this.name = "UnreadableInspectError";
  }
}

export function containerFactsFromInspect(inspect: unknown): ContainerFacts {
  const parsed = InspectSchema.safeParse(inspect);
  if (!parsed.success) {
    throw new UnreadableInspectError(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  const data = parsed.data;
  const env = new Map<string, string>();
  for (const entry of data.Config.Env) {
    const equals = entry.indexOf("=");
    env.set(equals < 0 ? entry : entry.slice(0, equals), equals < 0 ? "" : entry.slice(equals + 1));
  }
  return {
    id: data.Id,
    name: data.Name.replace(/^\//, ""),
    status: data.State.Status,
    running: data.State.Running,
    exitCode: data.State.ExitCode,
    startedAt: data.State.StartedAt,
    restartCount: data.RestartCount,
    image: data.Config.Image,
    cmd: data.Config.Cmd ?? null,
    entrypoint: data.Config.Entrypoint ?? null,
    tty: data.Config.Tty,
    openStdin: data.Config.OpenStdin,
    portBindings: Object.fromEntries(
      Object.entries(data.HostConfig.PortBindings).map(([port, bindings]) => [
        port,
        bindings.map((b) => ({ hostIp: b.HostIp, hostPort: b.HostPort })),
      ]),
    ),
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
