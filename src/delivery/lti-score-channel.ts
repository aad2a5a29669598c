import { randomUUID } from "node:crypto";
import { SignJWT } from "jose";
import { claimDue, type Outbox } from "../db/outbox.js";
import type { Database } from "../db/prisma.js";
import { toLtiAgsScore } from "../exports/lti-ags.js";
import type { Exercise } from "../grading/exercise.js";
import { toGradedSubmission } from "../submissions/present-submission.js";
import { findSubmission } from "../submissions/submission-store.js";
import { afterAttempt, type DeliverySettings, type OutboxRound } from "../webhooks/delivery-worker.js";
import { currentSigningKey, TOOL_ALG } from "./tool-keys.js";

const SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
const BATCH = 20;
/** A token is not reused in its last seconds: it could expire on the way. */
const TOKEN_MARGIN_MS = 30_000;

interface ClaimedScore {
  id: string;
  sub: string;
  submissionId: string;
  attempts: number;
  clientId: string;
  platformId: string;
  platformClientId: string;
  tokenUrl: string;
  lineitemUrl: string;
  gradePolicy: "best" | "latest";
}

/** Access tokens per platform, kept until they expire (LTI Security Framework §4.1: client credentials). */
const tokens = new Map<string, { accessToken: string; expiresAt: number }>();

const SCORE_OUTBOX: Outbox = {
  table: "lti_score_deliveries",
  with: { tables: "lti_placements AS p, lti_platforms AS f", on: "p.id = d.placement_id AND f.id = p.platform_id" },
  returning: `d.id, d.sub, d.submission_id AS "submissionId", d.attempts, f.client_id AS "clientId",
              f.id AS "platformId", f.platform_client_id AS "platformClientId", f.token_url AS "tokenUrl",
              p.lineitem_url AS "lineitemUrl", p.grade_policy AS "gradePolicy"`,
};

/**
 * A bearer token for the score scope, from the platform's token endpoint with a JWT signed by the
 * tool's key as the client assertion (RFC 7523), cached until shortly before it expires.
 */
async function accessToken(db: Database, settings: DeliverySettings, score: ClaimedScore): Promise<string> {
  const cached = tokens.get(score.platformId);
  if (cached && cached.expiresAt - TOKEN_MARGIN_MS > Date.now()) return cached.accessToken;
  const { kid, key } = await currentSigningKey(db, settings.secretsKey);
  const assertion = await new SignJWT({})
    .setProtectedHeader({ alg: TOOL_ALG, kid, typ: "JWT" })
    .setIssuer(score.platformClientId)
    .setSubject(score.platformClientId)
    .setAudience(score.tokenUrl)
    .setIssuedAt()
    .setExpirationTime("5m")
    .setJti(randomUUID())
    .sign(key);
  const response = await fetch(score.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
      scope: SCORE_SCOPE,
    }),
    signal: AbortSignal.timeout(settings.requestTimeoutMs ?? 10_000),
  });
  if (!response.ok) throw new Error(`token endpoint answered HTTP ${response.status}`);
  const body = (await response.json()) as { access_token?: unknown; expires_in?: unknown };
  if (typeof body.access_token !== "string") throw new Error("token endpoint answered without access_token");
  const lifetimeS = typeof body.expires_in === "number" ? body.expires_in : 3600;
  tokens.set(score.platformId, { accessToken: body.access_token, expiresAt: Date.now() + lifetimeS * 1000 });
  return body.access_token;
}

/** `{lineitem}/scores`: the path grows, a query (Moodle's ?type_id=…) stays where it was. */
export function scoresUrl(lineitemUrl: string): string {
  const url = new URL(lineitemUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/scores`;
  return url.toString();
}

type Outcome = { status: "delivered" | "superseded" | null; statusCode: number | null; error: string | null };

/**
 * A platform that already holds a newer score refuses an older one: Moodle with 409, Canvas with 400
 * and a message about the timestamp. Retrying cannot change that, so it is recorded, not retried.
 */
function isSuperseded(statusCode: number, body: string): boolean {
  return statusCode === 409 || (statusCode === 400 && /older|earlier|before|timestamp/i.test(body));
}

async function postScore(
  db: Database,
  settings: DeliverySettings,
  exercises: ReadonlyMap<string, Exercise>,
  score: ClaimedScore,
): Promise<Outcome> {
  try {
    const stored = await findSubmission(db, score.clientId, score.submissionId);
    const exercise = stored && exercises.get(stored.exerciseId);
    if (!stored || !exercise)
      return { status: null, statusCode: null, error: "the submission or its exercise is gone" };
    const best =
      score.gradePolicy === "best"
        ? await db.submission.aggregate({
            where: {
              clientId: score.clientId,
              learnerId: stored.learnerId,
              exerciseId: stored.exerciseId,
              gradedAt: { lte: stored.gradedAt },
            },
            _max: { score: true },
          })
        : undefined;
    const body = JSON.stringify(
      toLtiAgsScore(toGradedSubmission(stored, exercise), exercise, {
        userId: score.sub,
        timestamp: new Date(), // at send time: a retry an hour later is still newer than what it replaces
        scoreGiven: best?._max.score ?? stored.score,
      }),
    );
    const token = await accessToken(db, settings, score);
    const response = await fetch(scoresUrl(score.lineitemUrl), {
      method: "POST",
      headers: { "content-type": "application/vnd.ims.lis.v1.score+json", authorization: `Bearer ${token}` },
      body,
      signal: AbortSignal.timeout(settings.requestTimeoutMs ?? 10_000),
    });
    const text = await response.text();
    if (response.ok) return { status: "delivered", statusCode: response.status, error: null };
    if (response.status === 401) tokens.delete(score.platformId); // revoked or expired early: fetch a new one
    if (isSuperseded(response.status, text))
      return { status: "superseded", statusCode: response.status, error: text.slice(0, 500) };
    return { status: null, statusCode: response.status, error: `HTTP ${response.status}: ${text.slice(0, 400)}` };
  } catch (cause) {
    const error = cause instanceof Error ? `${cause.name}: ${cause.message}`.slice(0, 500) : String(cause);
    return { status: null, statusCode: null, error };
  }
}

/** The worker round for AGS scores (see OutboxRound); exercises come from the loaded course. */
export function pushDueScores(exercises: ReadonlyMap<string, Exercise>): OutboxRound {
  return async (db, settings, log) => {
    const claimed = await claimDue<ClaimedScore>(db, SCORE_OUTBOX, settings.leaseMs ?? 60_000, BATCH);
    for (const score of claimed) {
      const outcome = await postScore(db, settings, exercises, score);
      const next = afterAttempt(outcome.status, score.attempts, settings, new Date());
      await db.ltiScoreDelivery.update({
        where: { id: score.id },
        data: { lastStatusCode: outcome.statusCode, lastError: outcome.error, ...next.data },
      });
      if (outcome.status === null) {
        log.warn({ delivery: score.id, error: outcome.error, exhausted: next.exhausted }, "LTI score failed");
      }
    }
    return claimed.length >= BATCH;
  };
}
