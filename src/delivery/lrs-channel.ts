import { claimDue, type Outbox } from "../db/outbox.js";
import { open } from "../labs/secret-box.js";
import { afterAttempt, type DeliverySettings, type OutboxRound, REFUSED } from "./delivery-worker.js";
import { resolveDestination, systemResolver } from "./destination.js";
import { postToPinnedAddress } from "./pinned-post.js";

/** The xAPI version our statements follow; an LRS refuses a request without this header. */
export const XAPI_VERSION = "1.0.3";
/** Statements per POST: one request for a burst of grades, small enough for any LRS body limit. */
const BATCH = 50;

interface ClaimedStatement {
  id: string;
  clientId: string;
  attempts: number;
  statement: unknown;
  url: string;
  username: string;
  passwordEncrypted: string;
}

type Outcome = { statusCode: number | null; error: string | null; status: "delivered" | "already-stored" | null };

const LRS_OUTBOX: Outbox = {
  table: "lrs_deliveries",
  with: {
    tables: "lrs_endpoints AS e, xapi_statements AS s",
    on: "e.client_id = d.client_id AND s.id = d.statement_id",
  },
  returning: `d.id, d.client_id AS "clientId", d.attempts, s.statement, e.url, e.username,
              e.password_encrypted AS "passwordEncrypted"`,
};

/** One POST of statements to the LRS's statements resource; what it answered, or why it could not be asked. */
async function postStatements(
  claimed: ClaimedStatement,
  statements: unknown[],
  settings: DeliverySettings,
): Promise<{ statusCode: number | null; error: string | null }> {
  try {
    if (!settings.secretsKey) throw new Error("SECRETS_KEY is unset: the LRS password cannot be opened");
    const password = open(settings.secretsKey, claimed.passwordEncrypted);
    const url = `${claimed.url}/statements`;
    const allowPrivate = settings.allowPrivateUrls ?? false;
    const destination = await resolveDestination(url, allowPrivate, settings.resolveHost ?? systemResolver).catch(
      (cause: unknown) => {
        if (allowPrivate) throw cause;
        return { refused: true as const, reason: String(cause) };
      },
    );
    if (destination.refused) return { statusCode: null, error: REFUSED };
    const body = JSON.stringify(statements);
    const statusCode = await postToPinnedAddress(
      url,
      destination,
      {
        "content-type": "application/json",
        "x-experience-api-version": XAPI_VERSION,
        authorization: `Basic ${Buffer.from(`${claimed.username}:${password}`).toString("base64")}`,
        "user-agent": "aprendiendo-docker-xapi/1",
      },
      body,
      settings.requestTimeoutMs ?? 10_000,
    );
    return { statusCode, error: statusCode >= 200 && statusCode <= 299 ? null : `HTTP ${statusCode}` };
  } catch (cause) {
    return {
      statusCode: null,
      error: cause instanceof Error ? `${cause.name}: ${cause.message}`.slice(0, 500) : String(cause),
    };
  }
}

/**
 * xAPI: an LRS answers 409 to a batch holding any id it already stores with other content, and
 * stores nothing of that batch. So a refused batch is sent again one statement at a time, and a 409
 * for a single statement means the LRS already has it: recorded as such, never retried.
 */
async function sendToOneLrs(group: ClaimedStatement[], settings: DeliverySettings): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  const [first] = group;
  if (!first) return outcomes;
  const batch = await postStatements(
    first,
    group.map((row) => row.statement),
    settings,
  );
  if (batch.statusCode === 409 && group.length > 1) {
    for (const row of group) {
      const alone = await postStatements(row, [row.statement], settings);
      outcomes.set(row.id, outcomeOf(alone));
    }
  } else {
    for (const row of group) outcomes.set(row.id, outcomeOf(batch));
  }
  return outcomes;
}

function outcomeOf(sent: { statusCode: number | null; error: string | null }): Outcome {
  if (sent.statusCode === 409) return { ...sent, error: null, status: "already-stored" };
  return { ...sent, status: sent.error === null ? "delivered" : null };
}

/** One round: claims due statements, POSTs them per LRS in batches, records each outcome. True: more may be due. */
export const pushDueStatements: OutboxRound = async (db, settings, log) => {
  const claimed = await claimDue<ClaimedStatement>(db, LRS_OUTBOX, settings.leaseMs ?? 60_000, BATCH);
  const byClient = new Map<string, ClaimedStatement[]>();
  for (const row of claimed) byClient.set(row.clientId, [...(byClient.get(row.clientId) ?? []), row]);
  const outcomes = await Promise.all([...byClient.values()].map((group) => sendToOneLrs(group, settings)));
  const now = new Date();
  for (const row of claimed) {
    const outcome = outcomes.find((map) => map.has(row.id))?.get(row.id);
    if (!outcome) continue;
    const next = afterAttempt(outcome.status, row.attempts, settings, now);
    await db.lrsDelivery.update({
      where: { id: row.id },
      data: { lastStatusCode: outcome.statusCode, lastError: outcome.error, ...next.data },
    });
    if (outcome.status === null) {
      log.warn({ delivery: row.id, error: outcome.error, exhausted: next.exhausted }, "LRS push failed");
    }
  }
  return claimed.length >= BATCH;
};
