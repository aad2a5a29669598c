import { randomUUID } from "node:crypto";
import { type CryptoKey, SignJWT } from "jose";
import {
  type Destination,
  failureReason,
  OutboundRefused,
  REFUSED,
  resolveDestination,
  send,
  sendTo,
  statusReason,
} from "./outbound.js";
import { type ChannelContext, channel, type Outcome } from "./worker.js";

const SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
/** A token is not reused in its last seconds: it could expire on the way. */
const TOKEN_MARGIN_MS = 30_000;

/** The key the tool signs its client assertions with (LTI tool keys live in lti/tool-keys.ts). */
export type ToolSigningKey = () => Promise<{ kid: string; key: CryptoKey | Uint8Array }>;

interface ClaimedScore {
  id: string;
  attempts: number;
  /** The AGS score as it was frozen when the grade was made: a retry sends exactly this. */
  score: unknown;
  platformId: string;
  platformClientId: string;
  tokenUrl: string;
  lineitemUrl: string;
}

/** `{lineitem}/scores`: the path grows, a query (Moodle's ?type_id=…) stays where it was. */
export function scoresUrl(lineitemUrl: string): string {
  const url = new URL(lineitemUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/scores`;
  return url.toString();
}

/** A status a retry may change: the token expired (401), the platform was slow (408) or busy (429, 5xx). */
function isTemporary(status: number): boolean {
  return status === 401 || status === 408 || status === 429 || status >= 500;
}

/**
 * A platform that already holds a newer score refuses an older one: Moodle with 409, Canvas with 400
 * and a message about the timestamp. Retrying cannot change that.
 */
function isSuperseded(status: number, body: string): boolean {
  return status === 409 || (status === 400 && /timestamp/i.test(body));
}

class TokenRefused extends Error {
  constructor(
    readonly statusCode: number | null,
    reason: string,
  ) {
    super(`token endpoint: ${reason}`);
  }
}

/**
 * LTI Assignment and Grade Services scores. The protocol held here: a bearer token for the score
 * scope, got with a client assertion (LTI Security Framework §4.1) and cached per platform until it
 * expires; and what a platform's answer means (superseded, temporary or final). The score URL is
 * checked before a token is asked for, so no token is ever sent towards a refused address.
 */
export function ltiScoreChannel(toolKey: ToolSigningKey) {
  const tokens = new Map<string, { accessToken: string; expiresAt: number }>();

  async function accessToken(score: ClaimedScore, context: ChannelContext): Promise<string> {
    const cached = tokens.get(score.platformId);
    if (cached && cached.expiresAt - TOKEN_MARGIN_MS > Date.now()) return cached.accessToken;
    const { kid, key } = await toolKey();
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
      .setIssuer(score.platformClientId)
      .setSubject(score.platformClientId)
      .setAudience(score.tokenUrl)
      .setIssuedAt()
      .setExpirationTime("5m")
      .setJti(randomUUID())
      .sign(key);
    const response = await send(
      score.tokenUrl,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          client_assertion: assertion,
          scope: SCORE_SCOPE,
        }).toString(),
      },
      context.outbound,
    );
    if (response.status !== 200) {
      context.log.warn(
        { platform: score.platformId, status: response.status, said: response.body.slice(0, 500) },
        "LTI token refused",
      );
      throw new TokenRefused(response.status, statusReason(response.status));
    }
    let answer: { access_token?: unknown; expires_in?: unknown } = {};
    try {
      answer = JSON.parse(response.body);
    } catch {}
    if (typeof answer.access_token !== "string") throw new TokenRefused(200, "answered without an access_token");
    const lifetimeS = typeof answer.expires_in === "number" ? answer.expires_in : 3600;
    tokens.set(score.platformId, { accessToken: answer.access_token, expiresAt: Date.now() + lifetimeS * 1000 });
    return answer.access_token;
  }

  async function postScore(score: ClaimedScore, context: ChannelContext): Promise<Outcome> {
    const started = performance.now();
    const outcome = (status: Outcome["status"], statusCode: number | null, error: string | null): Outcome => ({
      status,
      statusCode,
      error,
      durationMs: Math.round(performance.now() - started),
    });
    try {
      const destination: Destination = await resolveDestination(scoresUrl(score.lineitemUrl), context.outbound);
      if (destination.refused) throw new OutboundRefused(destination);
      const token = await accessToken(score, context);
      const response = await sendTo(
        destination,
        {
          method: "POST",
          headers: {
            "content-type": "application/vnd.ims.lis.v1.score+json",
            authorization: `Bearer ${token}`,
          },
          body: JSON.stringify(score.score),
        },
        context.outbound.timeoutMs,
      );
      const { status } = response;
      if (status >= 200 && status <= 299) return outcome("delivered", status, null);
      // The platform's own words go to our log only: a recorded error holds no remote body.
      context.log.warn({ delivery: score.id, status, said: response.body.slice(0, 1000) }, "LTI score refused");
      if (status === 401) tokens.delete(score.platformId); // revoked or expired early: a new one next time
      if (isSuperseded(status, response.body)) {
        return outcome("superseded", status, `HTTP ${status}: the platform holds a newer score`);
      }
      return outcome(isTemporary(status) ? "retry" : "failed", status, statusReason(status));
    } catch (cause) {
      if (cause instanceof TokenRefused) return outcome("retry", null, cause.message);
      context.log.warn({ delivery: score.id, err: cause }, "LTI score not sent");
      const reason = failureReason(cause);
      return outcome("retry", null, reason === REFUSED ? REFUSED : reason);
    }
  }

  return channel<ClaimedScore>({
    name: "lti-scores",
    batch: 20,
    outbox: {
      table: "lti_score_deliveries",
      attemptColumn: "score_delivery_id",
      with: {
        tables: "lti_placements AS p, lti_platforms AS f",
        on: "p.id = d.placement_id AND f.id = p.platform_id",
      },
      returning: `d.id, d.attempts, d.score, f.id AS "platformId", f.platform_client_id AS "platformClientId",
                  f.token_url AS "tokenUrl", p.lineitem_url AS "lineitemUrl"`,
    },
    async send(rows, context) {
      // One at a time: scores for one learner and line item must arrive in the order they were made.
      const outcomes = new Map<string, Outcome>();
      for (const row of rows) outcomes.set(row.id, await postScore(row, context));
      return outcomes;
    },
  });
}
