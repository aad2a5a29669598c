import { createHash } from "node:crypto";
import { z } from "zod";
import { NO_ROWS, type Sql, statement } from "../db/sql.js";
import type { Storage } from "../db/storage.js";
import { IdempotencyKeyInProgress, IdempotencyKeyReused } from "../errors/domain-errors.js";

/** How long a key is remembered: retries within this window replay; afterwards the key may be reused. */
const IDEMPOTENCY_KEY_TTL_HOURS = 24;

/** A claim older than this is from a request that died mid-way; a retry may take it over. */
const STALE_CLAIM_SECONDS = 120;

/** A replay answers the stored body; its status is the one the first answer had. */
type IdempotencyOutcome = { kind: "proceed" } | { kind: "replay"; body: unknown };

/** Hash of what makes two requests "the same": method, route, query and body, with object keys sorted. */
export function requestFingerprint(parts: { method: string; url: string; body: unknown }): string {
  return createHash("sha256").update(canonicalJson(parts)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

const KeyRowSchema = z.object({ key: z.string() });

const claimKey = statement<[clientId: string, key: string, fingerprint: string]>()(
  "claim-idempotency-key",
  `INSERT INTO idempotency_keys (client_id, key, request_hash)
   VALUES ($1::uuid, $2, $3)
   ON CONFLICT (client_id, key) DO UPDATE SET created_at = now()
     WHERE idempotency_keys.response_status IS NULL
       AND idempotency_keys.request_hash = EXCLUDED.request_hash
       AND idempotency_keys.created_at < now() - make_interval(secs => ${STALE_CLAIM_SECONDS})
   RETURNING key`,
  KeyRowSchema,
);

const findKey = statement<[clientId: string, key: string]>()(
  "find-idempotency-key",
  `SELECT request_hash AS "requestHash", response_status AS "responseStatus", response_body AS "responseBody"
     FROM idempotency_keys WHERE client_id = $1::uuid AND key = $2`,
  z.object({ requestHash: z.string(), responseStatus: z.number().nullable(), responseBody: z.unknown() }),
);

const completeKey = statement<[clientId: string, key: string, status: number, body: string]>()(
  "complete-idempotency-key",
  `UPDATE idempotency_keys SET response_status = $3, response_body = $4::jsonb
    WHERE client_id = $1::uuid AND key = $2 RETURNING key`,
  KeyRowSchema,
);

const releaseKey = statement<[clientId: string, key: string]>()(
  "release-idempotency-key",
  "DELETE FROM idempotency_keys WHERE client_id = $1::uuid AND key = $2 AND response_status IS NULL",
  NO_ROWS,
);

/**
 * Claims an Idempotency-Key for this client. The table's primary key makes the claim atomic across
 * replicas: the first request proceeds; a retry of it replays its stored answer; the same key with
 * another request is 422; a retry while the first is still being graded is 409 (try again shortly).
 */
export async function claimIdempotencyKey(
  sql: Sql,
  clientId: string,
  key: string,
  fingerprint: string,
): Promise<IdempotencyOutcome> {
  const claimed = await sql.rows(claimKey, [clientId, key, fingerprint]);
  if (claimed.length > 0) return { kind: "proceed" };

  const [existing] = await sql.rows(findKey, [clientId, key]);
  if (!existing) return claimIdempotencyKey(sql, clientId, key, fingerprint); // released meanwhile
  if (existing.requestHash !== fingerprint) {
    throw new IdempotencyKeyReused(
      "This Idempotency-Key was already used for a different request. Use a new key for a new request.",
    );
  }
  if (existing.responseStatus === null) {
    throw new IdempotencyKeyInProgress(
      "A request with this Idempotency-Key is still being processed. Retry shortly to get its answer.",
    );
  }
  return { kind: "replay", body: existing.responseBody };
}

/** Stores the answer in the transaction that stores what it describes: both commit, or neither. */
export async function completeIdempotencyKey(
  tx: Sql,
  clientId: string,
  key: string,
  response: { status: number; body: unknown },
): Promise<void> {
  const updated = await tx.rows(completeKey, [clientId, key, response.status, JSON.stringify(response.body)]);
  // The claim is gone (pruned or taken over): fail the transaction rather than store an answer for no one.
  if (updated.length === 0) throw new Error(`Idempotency-Key ${key} was no longer claimed when its answer was stored`);
}

const recordAnswer = statement<[clientId: string, key: string, fingerprint: string, status: number, body: string]>()(
  "record-idempotent-answer",
  `INSERT INTO idempotency_keys (client_id, key, request_hash, response_status, response_body)
   VALUES ($1::uuid, $2, $3, $4, $5::jsonb)`,
  NO_ROWS,
);

/**
 * For a request sent without a key: stores its answer under a key the service made, in the
 * transaction that stores what it describes. If that COMMIT goes unanswered, the answer names this
 * key, and a retry that sends it replays the attempt if it was stored instead of counting it twice.
 */
export async function recordAnswerUnderServiceKey(
  tx: Sql,
  clientId: string,
  key: string,
  fingerprint: string,
  response: { status: number; body: unknown },
): Promise<void> {
  await tx.rows(recordAnswer, [clientId, key, fingerprint, response.status, JSON.stringify(response.body)]);
}

/** The request failed without storing anything (e.g. engine down): free the key so a retry can run. */
export async function releaseIdempotencyKey(sql: Sql, clientId: string, key: string): Promise<void> {
  await sql.rows(releaseKey, [clientId, key]);
}

/** Forgets keys past their TTL, so the table holds about a day of submissions. Any replica may run it. */
export async function pruneIdempotencyKeys({ prisma: db }: Storage, now = new Date()): Promise<number> {
  const { count } = await db.idempotencyKey.deleteMany({
    where: { createdAt: { lt: new Date(now.getTime() - IDEMPOTENCY_KEY_TTL_HOURS * 3600_000) } },
  });
  return count;
}
