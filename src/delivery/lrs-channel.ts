import { z } from "zod";
import { open } from "../crypto/secret-box.js";
import { failureReason, send, statusReason } from "./outbound.js";
import { ClaimedRowSchema } from "./outbox.js";
import { type ChannelContext, channel, type Outcome } from "./worker.js";

/** The xAPI version our statements follow; an LRS refuses a request without this header. */
export const XAPI_VERSION = "1.0.3";

const ClaimedStatementSchema = ClaimedRowSchema.extend({
  clientId: z.string(),
  statement: z.unknown(),
  url: z.string(),
  username: z.string(),
  passwordEncrypted: z.string(),
});
type ClaimedStatement = z.infer<typeof ClaimedStatementSchema>;

type Answer = { statusCode: number | null; error: string | null; durationMs: number };

/** One POST of statements to the LRS's statements resource; what it answered, or why it could not be asked. */
async function postStatements(
  claimed: ClaimedStatement,
  statements: unknown[],
  context: ChannelContext,
): Promise<Answer> {
  const started = performance.now();
  const durationMs = () => Math.round(performance.now() - started);
  if (!context.secretsKey) {
    return { statusCode: null, error: "SECRETS_KEY is unset: the LRS password cannot be opened", durationMs: 0 };
  }
  try {
    const password = open(context.secretsKey, claimed.passwordEncrypted);
    const response = await send(
      `${claimed.url}/statements`,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-experience-api-version": XAPI_VERSION,
          authorization: `Basic ${Buffer.from(`${claimed.username}:${password}`).toString("base64")}`,
          "user-agent": "aprendiendo-docker-xapi/1",
        },
        body: JSON.stringify(statements),
      },
      context.outbound,
    );
    const ok = response.status >= 200 && response.status <= 299;
    return { statusCode: response.status, error: ok ? null : statusReason(response.status), durationMs: durationMs() };
  } catch (cause) {
    context.log.warn({ delivery: claimed.id, url: claimed.url, err: cause }, "LRS push not sent");
    return { statusCode: null, error: failureReason(cause), durationMs: durationMs() };
  }
}

function outcomeOf(answer: Answer): Outcome {
  if (answer.statusCode === 409) return { ...answer, error: null, status: "already-stored" };
  return { ...answer, status: answer.error === null ? "delivered" : "retry" };
}

/**
 * xAPI: an LRS answers 409 to a batch holding any id it already stores with other content, and
 * stores nothing of that batch. So a refused batch is sent again one statement at a time, and a 409
 * for a single statement means the LRS already has it: recorded as such, never retried.
 */
async function sendToOneLrs(group: ClaimedStatement[], context: ChannelContext): Promise<[string, Outcome][]> {
  const [first] = group;
  if (!first) return [];
  const batch = await postStatements(
    first,
    group.map((row) => row.statement),
    context,
  );
  if (batch.statusCode === 409 && group.length > 1) {
    const alone: [string, Outcome][] = [];
    for (const row of group) alone.push([row.id, outcomeOf(await postStatements(row, [row.statement], context))]);
    return alone;
  }
  return group.map((row) => [row.id, outcomeOf(batch)]);
}

/** LRS statements: one POST per client's LRS for a burst of grades, split when the LRS refuses the batch. */
export const lrsChannel = channel({
  name: "lrs",
  // Statements per POST: one request for a burst of grades, small enough for any LRS body limit.
  batch: 50,
  outbox: {
    table: "lrs_deliveries",
    attemptColumn: "lrs_delivery_id",
    with: {
      tables: "lrs_endpoints AS e, xapi_statements AS s",
      on: "e.client_id = d.client_id AND s.id = d.statement_id",
    },
    returning: `d.id, d.attempts, d.client_id AS "clientId", s.statement, e.url, e.username,
                e.password_encrypted AS "passwordEncrypted"`,
  },
  claimed: ClaimedStatementSchema,
  async send(rows, context) {
    const byClient = new Map<string, ClaimedStatement[]>();
    for (const row of rows) byClient.set(row.clientId, [...(byClient.get(row.clientId) ?? []), row]);
    const sent = await Promise.all([...byClient.values()].map((group) => sendToOneLrs(group, context)));
    return new Map(sent.flat());
  },
});
