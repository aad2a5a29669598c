import type { FastifyRequest } from "fastify";
import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";
import type { LogLevel } from "./config/config.js";
import { isRecord } from "./schemas/guards.js";

const REDACTED = "[redacted]";

/**
 * Credentials recognised by their shape wherever they appear in a line: our learner-session tokens
 * (ads_) and API keys (adk_), webhook signing secrets (whsec_), the credential after Bearer or Basic,
 * and the value of a query parameter whose name says it is secret (a session link's `token`, an
 * LTI `id_token`, a webhook URL's `?key=`). A session link is valid for up to 30 days, so a log
 * line holding it would be a way in for whoever reads the logs.
 */
const SECRET_SHAPES: readonly [RegExp, string][] = [
  [/\b(?:ads|adk)_[A-Za-z0-9_-]+/g, REDACTED],
  [/\bwhsec_[A-Za-z0-9+/=]+/g, REDACTED],
  [/\b(Bearer|Basic) +[^\s"\\,;]+/gi, `$1 ${REDACTED}`],
  [/([?&][\w.-]*(?:token|key|secret|password|signature)=)[^&#\s"\\]+/gi, `$1${REDACTED}`],
];

/** The text with every secret it holds by shape replaced by [redacted]. */
function maskSecrets(text: string): string {
  let masked = text;
  for (const [shape, replacement] of SECRET_SHAPES) masked = masked.replace(shape, replacement);
  return masked;
}

/** Fields whose value is a secret whatever it looks like: at the top of a log object, one level down, or in its headers or body. */
const SECRET_FIELDS = new Set([
  "authorization",
  "cookie",
  "set-cookie",
  "password",
  "secret",
  "token",
  "id_token",
  "key",
]);

/**
 * The log object with every secret field's value replaced, copied only where one is found. A walk of
 * two levels (three under `headers` and `body`) costs about 1 µs a line; pino's wildcard redact paths
 * for the same rule cost 37 µs a request, a third of the lesson route's CPU at `info`.
 */
export function redactSecretFields(object: Record<string, unknown>, depth = 0): Record<string, unknown> {
  let redacted = object;
  for (const key in object) {
    const value = object[key];
    let replacement: unknown = value;
    if (SECRET_FIELDS.has(key.toLowerCase())) replacement = REDACTED;
    else if (isRecord(value) && !Array.isArray(value) && !(value instanceof Error)) {
      const deeper = depth === 0 || (depth === 1 && (key === "headers" || key === "body"));
      if (deeper) replacement = redactSecretFields(value, depth + 1);
    }
    if (replacement !== value) {
      if (redacted === object) redacted = { ...object };
      redacted[key] = replacement;
    }
  }
  return redacted;
}

/**
 * The one logger: start-up and every request log through it, as JSON lines to stdout (or to
 * `destination`), or readable lines for a person at a terminal (`pretty`). No secret reaches a line:
 * fields named as secrets are redacted (redactSecretFields), the request line's URL is masked, and as a last net every
 * written line is masked by shape (maskSecrets), so a secret in an error message or a URL logged
 * elsewhere is caught too.
 */
export function createLogger(
  level: string,
  output: { pretty?: boolean; destination?: DestinationStream } = {},
): Logger {
  const options: LoggerOptions = {
    level,
    formatters: { log: redactSecretFields },
    serializers: { req: requestLine },
    hooks: { streamWrite: maskSecrets },
    ...(output.pretty ? { transport: { target: "pino-pretty", options: { ignore: "pid,hostname" } } } : {}),
  };
  return output.destination ? pino(options, output.destination) : pino(options);
}

/**
 * Who reads the log. A person at a terminal (LOG_FORMAT=auto there, or pretty) gets readable lines at
 * `warn` unless LOG_LEVEL says otherwise: a line per request would scroll the start summary and its
 * sign-in link away. Collectors (auto elsewhere, or json) get JSON lines at `info`.
 */
export function chooseLogOutput(
  settings: { logFormat: "auto" | "json" | "pretty"; logLevel: LogLevel | undefined },
  isTerminal: boolean,
): { forPeople: boolean; level: LogLevel } {
  const forPeople = settings.logFormat === "pretty" || (settings.logFormat === "auto" && isTerminal);
  return { forPeople, level: settings.logLevel ?? (forPeople ? "warn" : "info") };
}

/** Fastify's "incoming request" line, with the URL's secrets masked and no headers at all. */
function requestLine(request: FastifyRequest) {
  return {
    method: request.method,
    url: maskSecrets(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
