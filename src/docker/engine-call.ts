import pLimit from "p-limit";
import { EngineFailure, EngineRefused, EngineUnavailable } from "../errors/domain-errors.js";
import { requestFailureOf } from "./engine-answers.js";
import { ContainerStateError, UnreadableEngineAnswerError } from "./errors.js";

/**
 * Runs one request to the engine, or a few that belong together, in a slot of its own and under one
 * deadline (the engine's timeout unless given); a failure comes out as EngineUnavailable or EngineRefused.
 */
export type EngineCall = <T>(
  description: string,
  run: (signal: AbortSignal) => Promise<T>,
  timeoutMs?: number,
) => Promise<T>;

interface EngineCalls {
  call: EngineCall;
  /** Drops the calls still waiting for a slot. */
  clearQueue(): void;
}

export function createEngineCalls(endpoint: string, options: { timeoutMs: number; concurrency: number }): EngineCalls {
  const limit = pLimit(options.concurrency);

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
        throw classify(endpoint, error, description, timeoutMs, signal);
      }
    });
  }

  return { call, clearQueue: () => limit.clearQueue() };
}

/**
 * What a failed call means, in words that say nothing more about the address than that it failed:
 * a lab's engine URL is chosen by an API client, and "refused" against "reset" would make this
 * service its port scanner. What the socket or engine said goes to `diagnosis`, for our log only.
 */
function classify(
  endpoint: string,
  error: unknown,
  description: string,
  timeoutMs: number,
  signal: AbortSignal,
): unknown {
  if (
    error instanceof EngineFailure ||
    error instanceof ContainerStateError ||
    error instanceof UnreadableEngineAnswerError
  ) {
    return error;
  }
  const said = `${description}: ${describeFailure(error)}`;
  if (signal.aborted)
    return new EngineUnavailable(endpoint, `no answer within ${timeoutMs} ms`, said, { cause: error });
  const { statusCode, code } = requestFailureOf(error);
  if (statusCode !== undefined) {
    if (statusCode >= 500) return new EngineUnavailable(endpoint, "it failed on its side", said, { cause: error });
    return new EngineRefused(endpoint, "refused this service's requests", said, { cause: error });
  }
  if (code !== undefined && isCertificateFailure(code)) {
    return new EngineRefused(endpoint, "refused the TLS handshake: a certificate was not accepted", said, {
      cause: error,
    });
  }
  return new EngineUnavailable(endpoint, "could not connect", said, { cause: error });
}

/** One line for the log: a socket's error code, an engine's status, or the message. */
function describeFailure(error: unknown): string {
  const { statusCode, code } = requestFailureOf(error);
  if (statusCode !== undefined) return `HTTP ${statusCode}`;
  if (code !== undefined) return code;
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

/**
 * dockerode reads `abortSignal` from every method's options, but its type definitions declare some
 * methods (version, ping, info) without options: a method that takes none is passed one anyway.
 */
export function withSignal<T>(
  method: (options: { abortSignal: AbortSignal }) => Promise<T>,
  self: object,
  signal: AbortSignal,
): Promise<T> {
  return method.call(self, { abortSignal: signal });
}
