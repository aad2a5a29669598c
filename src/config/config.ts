import path from "node:path";
import { z } from "zod";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
/** auto: for people in an interactive terminal, JSON lines everywhere else. */
const LOG_FORMATS = ["auto", "json", "pretty"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A comma-separated list, blanks ignored, each entry checked by `entry`. */
function commaSeparated<T>(entry: z.ZodType<T, string>) {
  return z
    .string()
    .transform((value) =>
      value
        .split(",")
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .pipe(z.array(entry))
    .default([]);
}

const originList = commaSeparated(
  z.url({ protocol: /^https?$/, error: "expected comma-separated origins like https://lms.example" }),
);

const EnvSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default("127.0.0.1"),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: "expected a postgresql:// connection URL" }).optional(),
    DATA_DIR: z.string().min(1).default(".data"),
    CONTENT_DIR: z.string().min(1).default("content"),
    DOCKER_HOST: z
      .string()
      .regex(
        /^(unix:\/\/\/.+|tcp:\/\/[^/]+:\d+|npipe:\/\/.+)$/,
        "expected unix:///path/to/docker.sock or tcp://host:port",
      )
      .optional(),
    DOCKER_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
    DOCKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
    DOCKER_EXEC_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
    GRADINGS_IN_FLIGHT_PER_CLIENT: z.coerce.number().int().min(1).max(10_000).default(8),
    GRADINGS_IN_FLIGHT_PER_LEARNER: z.coerce.number().int().min(1).max(10_000).default(2),
    DATABASE_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5000),
    CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(5000),
    DATABASE_POOL_WAIT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
    LOG_FORMAT: z.enum(LOG_FORMATS).default("auto"),
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(10 * 1024 * 1024)
      .default(64 * 1024),
    HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(10_000),
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100_000).default(1024),
    MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(64),
    TRUST_PROXY: z
      .string()
      .regex(
        /^(true|false|\d{1,2}|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)$/,
        "expected false, true, a number of proxy hops, or comma-separated proxy addresses/CIDRs",
      )
      .transform((value): boolean | number | string[] =>
        value === "true" ? true : value === "false" ? false : /^\d+$/.test(value) ? Number(value) : value.split(","),
      )
      .default(false),
    REQUIRE_AUTH: z.stringbool().default(false),
    CORS_ORIGINS: originList,
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(600),
    AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(30),
    REDIS_URL: z
      .url({ protocol: /^rediss?$/, error: "expected a redis:// or rediss:// URL, e.g. redis://redis.internal:6379" })
      .optional(),
    LAB_ENGINE_ALLOWLIST: commaSeparated(
      z
        .string()
        .regex(
          /^(unix:\/\/\/.+|tcp:\/\/[^/*]+:(\d+|\*))$/,
          "expected entries like unix:///run/labs/* or tcp://10.0.0.5:2376 (a trailing * matches any rest)",
        ),
    ),
    SECRETS_KEY: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, "expected 64 hex characters (32 random bytes): openssl rand -hex 32")
      .optional(),
    XAPI_HOMEPAGE: z.url({ protocol: /^https?$/ }).default("https://aprendiendo-docker.dev/learners"),
    DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(30).default(8),
    DELIVERY_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(10_000),
    DELIVERY_WORKER: z.stringbool().default(true),
    DELIVERY_LEASE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
    DELIVERY_ALLOW_PRIVATE_URLS: z.stringbool().default(false),
    DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    DELIVERY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(7),
    FRAME_ANCESTORS: originList,
    LTI_DYNAMIC_REGISTRATION: z.stringbool().default(false),
    SANDBOXES_ENABLED: z.stringbool().default(false),
    SANDBOX_HOST_SOCKET: z.string().startsWith("/").default("/run/aprendiendo-sandboxes/host.sock"),
    SANDBOX_HOST_SECRET: z.string().min(32, "expected at least 32 characters: openssl rand -hex 32").optional(),
    SANDBOX_HOST_START: z.stringbool().default(true),
    SANDBOX_WARM_POOL: z.coerce.number().int().min(0).max(100).default(2),
    SANDBOX_MAX: z.coerce.number().int().min(1).max(1000).default(50),
    SANDBOX_IDLE_MINUTES: z.coerce
      .number()
      .min(0.05)
      .max(24 * 60)
      .default(30),
    SANDBOX_MAX_AGE_MINUTES: z.coerce
      .number()
      .min(0.05)
      .max(7 * 24 * 60)
      .default(240),
    SANDBOX_MEMORY_MIB: z.coerce.number().int().min(128).max(65_536).default(1024),
    SANDBOX_PIDS: z.coerce.number().int().min(64).max(100_000).default(1024),
    SANDBOX_CPUS: z.coerce.number().min(0.1).max(64).default(1),
    SANDBOX_DISK_MIB: z.coerce.number().int().min(256).max(1_048_576).default(4096),
    SANDBOX_STATE_DIR: z.string().startsWith("/").default("/var/lib/aprendiendo-sandboxes"),
    SANDBOX_NAME_PREFIX: z
      .string()
      .regex(/^[a-z][a-z0-9]{1,11}$/, "expected 2-12 lower-case letters and digits, starting with a letter")
      .default("adsbx"),
    SANDBOX_SERVICE_GID: z.coerce
      .number()
      .int()
      .min(0)
      .max(2 ** 31)
      .optional(),
    SANDBOX_CONSOLE_IMAGE: z
      .string()
      .regex(/^[a-z0-9./:_-]+$/, "expected an image name")
      .default("docker:cli"),
    SANDBOX_PRELOAD_IMAGES: commaSeparated(z.string().regex(/^[a-z0-9./:_-]+$/, "expected image names")).default([
      "alpine:latest",
      "alpine:3.20",
      "nginx:latest",
      "nginx:1.27-alpine",
      "redis:7-alpine",
      "hello-world:latest",
      "registry:2",
    ]),
  })
  .refine((env) => env.GRADINGS_IN_FLIGHT_PER_LEARNER <= env.GRADINGS_IN_FLIGHT_PER_CLIENT, {
    path: ["GRADINGS_IN_FLIGHT_PER_LEARNER"],
    message: "must not exceed GRADINGS_IN_FLIGHT_PER_CLIENT: a learner's gradings are their client's too",
  })
  .refine((env) => env.HEADERS_TIMEOUT_MS <= env.REQUEST_TIMEOUT_MS, {
    path: ["HEADERS_TIMEOUT_MS"],
    message: "must not exceed REQUEST_TIMEOUT_MS: the headers are part of the request",
  });

export interface Config {
  port: number;
  host: string;
  /** Absent: the server starts an embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  contentDir: string;
  docker: { host: string | undefined; timeoutMs: number; concurrency: number };
  /**
   * Bounds on the engine work one caller can cause: the longest a check's command may run in a
   * container before it is killed, and the gradings one client, and one learner, may have in flight
   * at once on the shared engine (DOCKER_HOST), counted by each replica.
   */
  grading: { execTimeoutMs: number; inFlightPerClient: number; inFlightPerLearner: number };
  /** Deadlines on the database: one statement, and the wait for a pooled connection. */
  database: { queryTimeoutMs: number; poolWaitMs: number };
  /**
   * How long a replica trusts what it read of an API key and that a learner has no lab: a
   * revocation or a new lab made through another replica takes effect here within this time.
   */
  cacheTtlMs: number;
  /** Undefined: the format's own default (createLogOutput). */
  logLevel: LogLevel | undefined;
  logFormat: (typeof LOG_FORMATS)[number];
  bodyLimitBytes: number;
  /**
   * Slow and greedy clients: time for a request's headers, for the whole request, open sockets, and
   * open sockets per client address (trusted proxies excepted).
   */
  http: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    maxConnections: number;
    maxConnectionsPerAddress: number;
  };
  /**
   * Which reverse proxies to believe for the client's address and protocol (X-Forwarded-For/-Proto):
   * the per-IP limits and the session cookie's iframe attributes depend on them.
   */
  trustProxy: boolean | number | string[];
  /** On: content routes require the `content:read` scope too. Learner data always requires a key. */
  requireAuth: boolean;
  /** Browser origins allowed by CORS; empty: no CORS headers at all. */
  corsOrigins: string[];
  /** Requests per minute per API client (per IP without a key), counted by each replica. */
  rateLimitPerMinute: number;
  /** Unknown or malformed API keys per minute per IP before it gets 429, counted by each replica. */
  authFailuresPerMinute: number;
  /** Where replicas count both rate limits together; absent: each replica counts in its own memory. */
  redisUrl: string | undefined;
  /** Engine URLs a learner's lab may point at; empty: labs cannot be set. */
  labEngineAllowlist: string[];
  /** 32-byte key that encrypts lab TLS keys at rest; absent: labs with TLS material are refused. */
  secretsKey: Buffer | undefined;
  /** xAPI actor account homePage for clients that have none of their own. */
  xapiHomePage: string;
  /**
   * What leaves the service (webhooks, LRS statements, LTI scores): attempts before giving up, the
   * first retry delay (doubled each time), and how long settled deliveries stay listed.
   */
  delivery: {
    workerEnabled: boolean;
    maxAttempts: number;
    retryBaseMs: number;
    pollIntervalMs: number;
    /** How long a claimed delivery stays hidden from other workers; a dead worker's claims wait this long. */
    leaseMs: number;
    /** Let outbound requests reach loopback and private addresses (off: that would be server-side request forgery). */
    allowPrivateUrls: boolean;
    /** The longest one outbound request may take. */
    timeoutMs: number;
    retentionDays: number;
  };
  /** Origins (LMSs) whose pages may show the learner's page in an iframe, besides this service's own. */
  frameAncestors: string[];
  /**
   * Whether GET /lti/register (LTI Dynamic Registration) answers: each use creates an API client and a
   * platform for whoever opens it, so it is off unless an operator turns it on.
   */
  ltiDynamicRegistration: boolean;
  /** Sandboxes: a Docker engine per learner, made by the sandbox host (README, "Sandboxes"). */
  sandboxes: SandboxSettings;
}

export interface SandboxSettings {
  enabled: boolean;
  /** The sandbox host's socket, and the secret every request to it carries. */
  hostSocket: string;
  hostSecret: string | undefined;
  /** Whether `npm start` starts the sandbox host itself (off: it runs as its own service). */
  startHost: boolean;
  warmPool: number;
  /** The most sandboxes this host runs at once, pooled ones included. */
  max: number;
  idleMs: number;
  maxAgeMs: number;
  /** Each sandbox's quotas, enforced by the host (cgroups, and the size of its disk image). */
  quota: { memoryBytes: number; pids: number; cpus: number; diskBytes: number };
  /** The host's own: where disk images live, the prefix of users and cgroups, the group that may use sockets. */
  stateDir: string;
  namePrefix: string;
  serviceGid: number | undefined;
  preloadImages: string[];
  /** The terminal's image (sh and the docker CLI), preloaded with the others: docker:cli by default. */
  consoleImage: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Names the delivery settings had when they governed webhooks alone; still read when the new name is unset. */
const DELIVERY_ALIASES = {
  WEBHOOK_MAX_ATTEMPTS: "DELIVERY_MAX_ATTEMPTS",
  WEBHOOK_RETRY_BASE_MS: "DELIVERY_RETRY_BASE_MS",
  WEBHOOK_WORKER: "DELIVERY_WORKER",
  WEBHOOK_LEASE_MS: "DELIVERY_LEASE_MS",
  WEBHOOK_ALLOW_PRIVATE_URLS: "DELIVERY_ALLOW_PRIVATE_URLS",
} as const;

/** Reads the configuration from environment variables; empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  // A problem names the variable that was set: an old name stays the caller's word for it.
  const setAs = new Map<string, string>();
  for (const [old, name] of Object.entries(DELIVERY_ALIASES)) {
    if (present[name] === undefined && present[old] !== undefined) {
      present[name] = present[old];
      setAs.set(name, old);
    }
  }
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        return `${setAs.get(name) ?? name}=${JSON.stringify(present[name] ?? "")}: ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.DATA_DIR),
    contentDir: path.resolve(e.CONTENT_DIR),
    docker: { host: e.DOCKER_HOST, timeoutMs: e.DOCKER_TIMEOUT_MS, concurrency: e.DOCKER_CONCURRENCY },
    grading: {
      execTimeoutMs: e.DOCKER_EXEC_TIMEOUT_MS,
      inFlightPerClient: e.GRADINGS_IN_FLIGHT_PER_CLIENT,
      inFlightPerLearner: e.GRADINGS_IN_FLIGHT_PER_LEARNER,
    },
    database: { queryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS, poolWaitMs: e.DATABASE_POOL_WAIT_MS },
    cacheTtlMs: e.CACHE_TTL_MS,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    http: {
      headersTimeoutMs: e.HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
      maxConnections: e.MAX_CONNECTIONS,
      maxConnectionsPerAddress: e.MAX_CONNECTIONS_PER_ADDRESS,
    },
    trustProxy: e.TRUST_PROXY,
    requireAuth: e.REQUIRE_AUTH,
    corsOrigins: e.CORS_ORIGINS,
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
    redisUrl: e.REDIS_URL,
    labEngineAllowlist: e.LAB_ENGINE_ALLOWLIST,
    secretsKey: e.SECRETS_KEY ? Buffer.from(e.SECRETS_KEY, "hex") : undefined,
    xapiHomePage: e.XAPI_HOMEPAGE,
    delivery: {
      workerEnabled: e.DELIVERY_WORKER,
      maxAttempts: e.DELIVERY_MAX_ATTEMPTS,
      retryBaseMs: e.DELIVERY_RETRY_BASE_MS,
      pollIntervalMs: 1000,
      leaseMs: e.DELIVERY_LEASE_MS,
      allowPrivateUrls: e.DELIVERY_ALLOW_PRIVATE_URLS,
      timeoutMs: e.DELIVERY_TIMEOUT_MS,
      retentionDays: e.DELIVERY_RETENTION_DAYS,
    },
    frameAncestors: e.FRAME_ANCESTORS.map((origin) => new URL(origin).origin),
    ltiDynamicRegistration: e.LTI_DYNAMIC_REGISTRATION,
    sandboxes: {
      enabled: e.SANDBOXES_ENABLED,
      hostSocket: e.SANDBOX_HOST_SOCKET,
      hostSecret: e.SANDBOX_HOST_SECRET,
      startHost: e.SANDBOX_HOST_START,
      warmPool: e.SANDBOX_WARM_POOL,
      max: e.SANDBOX_MAX,
      idleMs: e.SANDBOX_IDLE_MINUTES * 60_000,
      maxAgeMs: e.SANDBOX_MAX_AGE_MINUTES * 60_000,
      quota: {
        memoryBytes: e.SANDBOX_MEMORY_MIB * 1024 * 1024,
        pids: e.SANDBOX_PIDS,
        cpus: e.SANDBOX_CPUS,
        diskBytes: e.SANDBOX_DISK_MIB * 1024 * 1024,
      },
      stateDir: e.SANDBOX_STATE_DIR,
      namePrefix: e.SANDBOX_NAME_PREFIX,
      serviceGid: e.SANDBOX_SERVICE_GID,
      preloadImages: e.SANDBOX_PRELOAD_IMAGES,
      consoleImage: e.SANDBOX_CONSOLE_IMAGE,
    },
  };
}

/**
 * A process's configuration, for its entry point: a bad setting prints its one line and exits with
 * 78 (EX_CONFIG), so the service and the sandbox host refuse to start the same way.
 */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
}
