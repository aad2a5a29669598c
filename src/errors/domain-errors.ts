/**
 * What can go wrong, in the domain's words. Services throw these and never name an HTTP status:
 * the problem table (http/problem-table.ts) decides how each one is answered.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
}

/** A request value the schemas cannot express a rule for, e.g. a NUL character PostgreSQL cannot store. */
export class InvalidInput extends DomainError {
  readonly code = "invalid-input";
  constructor(
    /** Where the value is, e.g. body.name. */
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/** The thing asked for does not exist, or belongs to another API client (the same answer, on purpose). */
export class NotFound extends DomainError {
  readonly code = "not-found";
}

/** A webhook URL that points inward (localhost or a special-purpose address). */
export class WebhookUrlRefused extends DomainError {
  readonly code = "webhook-url-refused";
  /** The request field that holds the URL. */
  readonly field = "url";
}

/** A destination for grades (an LRS, an LTI platform) that this server will not store or call. */
export class DestinationRefused extends DomainError {
  readonly code = "destination-refused";
  constructor(
    /** The request field at fault, e.g. body.url. */
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

/**
 * An LTI login or launch that cannot be trusted: unknown platform, a state not bound to this
 * browser, an id_token that does not verify, a replayed nonce, a message we do not handle.
 */
export class LtiLaunchRefused extends DomainError {
  readonly code = "lti-launch-refused";
  constructor(
    detail: string,
    /** The platform the launch came from, once known: the page that says so may be framed by it. */
    readonly platform?: { issuer: string; authUrl: string },
  ) {
    super(detail);
  }
}

/** A lab engine URL or TLS material this server will not use. */
export class LabRefused extends DomainError {
  readonly code = "lab-refused";
  constructor(
    detail: string,
    /** The request field at fault, e.g. body.engineUrl; none when a stored lab is refused at use. */
    readonly path?: string,
  ) {
    super(path ? `${path}: ${detail}` : detail);
  }
}

/** An engine address already registered: one engine belongs to one API client. */
export class LabEngineTaken extends DomainError {
  readonly code = "lab-engine-taken";
  readonly path = "body.engineUrl";
}

/**
 * The learner has no lab, and this client holds no grant for the service's own engine: grading
 * there would let it read (and exec into) every container on that engine.
 */
export class SharedEngineNotGranted extends DomainError {
  readonly code = "engine-not-granted";
}

/** Lessons with exercises are completed by passing them, not by reading. */
export class LessonHasExercises extends DomainError {
  readonly code = "lesson-has-exercises";
}

/** The Idempotency-Key was used for a different request. */
export class IdempotencyKeyReused extends DomainError {
  readonly code = "idempotency-key-reused";
}

/** A request with this Idempotency-Key is still being processed elsewhere. */
export class IdempotencyKeyInProgress extends DomainError {
  readonly code = "idempotency-key-in-progress";
}

/**
 * A call to a Docker engine that failed; nothing was stored. `reason` is said to the caller in a few
 * fixed words, since a lab's engine is an address the caller chose (how a connection failed would
 * tell an open port from a closed one); `diagnosis`, what the socket or the engine said, is for the
 * service's own log only.
 */
export abstract class EngineFailure extends DomainError {
  constructor(
    readonly engine: string,
    readonly reason: string,
    readonly diagnosis: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The engine could not be reached, did not answer in time, or failed on its side: retry later. */
export class EngineUnavailable extends EngineFailure {
  readonly code = "engine-unavailable";
  constructor(engine: string, reason: string, diagnosis: string, options?: { cause?: unknown }) {
    super(engine, reason, diagnosis, `Docker engine ${engine} is unavailable: ${reason}`, options);
  }
}

/**
 * The engine (or whatever answers at its address) refused this service: an HTTP error that is no
 * container's state (401, 403, 429…), or a TLS handshake that failed on a certificate. Retrying
 * will not help; the lab's URL or credentials need fixing.
 */
export class EngineRefused extends EngineFailure {
  readonly code = "engine-refused";
  constructor(engine: string, reason: string, diagnosis: string, options?: { cause?: unknown }) {
    super(engine, reason, diagnosis, `Docker engine ${engine} refused this service: ${reason}`, options);
  }
}

/** The database could not be reached, or every pooled connection stayed busy: retry later. */
export class DatabaseUnavailable extends DomainError {
  readonly code = "database-unavailable";
}

/**
 * A COMMIT was sent and went unanswered: the database may have stored the change or not, and did not
 * say which in time. Never "nothing was stored" (that would invite a retry that counts twice).
 * `idempotencyKey` is the key a retry must carry to get the stored answer instead of a second change.
 */
export class CommitOutcomeUnknown extends DomainError {
  readonly code = "commit-outcome-unknown";
  constructor(
    options?: { cause?: unknown },
    readonly idempotencyKey?: string,
  ) {
    super(
      "The database did not confirm in time whether this change was stored: it may have been." +
        (idempotencyKey
          ? ` Retry with the header Idempotency-Key: ${idempotencyKey}; the retry answers the stored result if there is one, and makes the change if not.`
          : " Read it back before retrying."),
      options,
    );
  }

  /** The same unknown outcome, with the key that makes its retry safe. */
  retryWith(idempotencyKey: string): CommitOutcomeUnknown {
    return new CommitOutcomeUnknown({ cause: this.cause }, idempotencyKey);
  }
}

/** The service is draining for shutdown. */
export class ShuttingDown extends DomainError {
  readonly code = "shutting-down";
}

/** No credential, or one we do not know. */
export class Unauthenticated extends DomainError {
  readonly code = "unauthenticated";
  constructor(
    detail: string,
    /** A credential was sent but is malformed, unknown or revoked (RFC 6750's invalid_token). */
    readonly invalidToken: boolean,
  ) {
    super(detail);
  }
}

/** A known caller without the scope this operation needs. */
export class ScopeMissing extends DomainError {
  readonly code = "scope-missing";
  constructor(
    readonly scope: string,
    caller: "API key" | "learner session" = "API key",
  ) {
    super(
      caller === "API key"
        ? `This API key lacks the scope "${scope}" that this operation requires.`
        : `This learner session lacks the scope "${scope}" that this operation requires: its API client does not grant it.`,
    );
  }
}

/** A learner session that was valid and has run out: the learner needs a new link, not a new key. */
export class SessionExpired extends DomainError {
  readonly code = "session-expired";
  constructor(readonly expiredAt: Date) {
    super(`This learner session expired at ${expiredAt.toISOString()}. Open a new link to sign in again.`);
  }
}

/**
 * A learner session asked for something beyond its learner: another learner, a client route, or a
 * cookie-borne write from another site.
 */
export class SessionRefused extends DomainError {
  readonly code = "session-refused";
}

/** Too many unknown or malformed keys from one address: refused whatever key it sends next. */
export class TooManyFailedAuthentications extends DomainError {
  readonly code = "too-many-failed-authentications";
  constructor(
    readonly retryAfterSeconds: number,
    readonly limit: number,
  ) {
    super(
      `More than ${limit} failed authentications in a minute from this address. Retry after ${retryAfterSeconds} s.`,
    );
  }
}

/** Too many requests (or sessions minted) in the window. */
export class RateLimited extends DomainError {
  readonly code = "rate-limited";
  constructor(
    readonly retryAfterSeconds: number,
    readonly limit: number,
    /** What was counted, and per what, e.g. "requests in a minute from this client". */
    counted = "requests in a minute from this client",
  ) {
    super(`More than ${limit} ${counted}. Retry after ${retryAfterSeconds} s.`);
  }
}

/**
 * An API client, or one of its learners, already has as many gradings in flight on the service's
 * shared engine as it may: one tenant's load must not slow every other tenant's grading there.
 */
export class TooManyGradingsInFlight extends DomainError {
  readonly code = "too-many-gradings-in-flight";
  constructor(
    readonly retryAfterSeconds: number,
    readonly limit: number,
    /** Whose gradings were counted. */
    readonly per: "client" | "learner",
  ) {
    super(
      `${per === "client" ? "This API client" : "This learner"} already has ${limit} gradings in flight on the ` +
        `shared Docker engine, the most allowed at once. Nothing was stored; retry after ${retryAfterSeconds} s.`,
    );
  }
}

/**
 * No sandbox can be had now: the host runs its maximum (pooled ones included), or the sandbox host
 * does not answer. Nothing was made; a sandbox frees up when another is released or reaped.
 */
export class SandboxUnavailable extends DomainError {
  readonly code = "sandbox-unavailable";
  constructor(
    readonly reason: "capacity" | "host",
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(message);
  }
}

export type KnownDomainError =
  | InvalidInput
  | NotFound
  | WebhookUrlRefused
  | DestinationRefused
  | LtiLaunchRefused
  | LabRefused
  | LabEngineTaken
  | SharedEngineNotGranted
  | LessonHasExercises
  | IdempotencyKeyReused
  | IdempotencyKeyInProgress
  | EngineUnavailable
  | EngineRefused
  | DatabaseUnavailable
  | CommitOutcomeUnknown
  | ShuttingDown
  | Unauthenticated
  | ScopeMissing
  | SessionExpired
  | SessionRefused
  | TooManyFailedAuthentications
  | RateLimited
  | TooManyGradingsInFlight
  | SandboxUnavailable;
