import path from "node:path";
import { z } from "zod";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const EnvSchema = z.object({
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
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(64 * 1024),
});

export interface Config {
  port: number;
  host: string;
  /** Absent: the server starts an embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  contentDir: string;
  docker: { host: string | undefined; timeoutMs: number; concurrency: number };
  logLevel: (typeof LOG_LEVELS)[number];
  bodyLimitBytes: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Reads the configuration from environment variables; empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        return `${name}=${JSON.stringify(present[name] ?? "")}: ${issue.message}`;
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
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
  };
}
