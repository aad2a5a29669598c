import { z } from "zod";
import {
  type Destination,
  failureReason,
  OutboundRefused,
  REFUSED,
  resolveDestination,
  sendTo,
  statusReason,
} from "./outbound.js";
import { ClaimedRowSchema } from "./outbox.js";
import { requestPlatformToken, TokenRefused, type ToolSigningKey } from "./platform-token.js";
import { type ChannelContext, channel, type Outcome } from "./worker.js";

const SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
/** A token is not reused in its last seconds: it could expire on the way. */
const TOKEN_MARGIN_MS = 30_000;

const ClaimedScoreSchema = ClaimedRowSchema.extend({
  /** The AGS score as it was frozen when the grade was made: a retry sends exactly this. */
  score: z.unknown(),
  platformId: z.string(),
  platformClientId: z.string(),
  tokenUrl: z.string(),
  lineitemUrl: z.string(),
});
type ClaimedScore = z.infer<typeof ClaimedScoreSchema>;

/** `{lineitem}/scores`: the path grows, a query (Moodle's ?type_id=…) stays where it was. */
function scoresUrl(lineitemUrl: string): string {
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
    let answer: Awaited<ReturnType<typeof requestPlatformToken>>;
    try {
      answer = await requestPlatformToken(score, SCORE_SCOPE, toolKey, context.outbound);
    } catch (error) {
      if (error instanceof TokenRefused && error.statusCode !== 200) {
        context.log.warn(
          { platform: score.platformId, status: error.statusCode, said: error.said },
          "LTI token refused",
        );
      }
      throw error;
    }
    tokens.set(score.platformId, {
      accessToken: answer.accessToken,
      expiresAt: Date.now() + answer.expiresInSeconds * 1000,
    });
    return answer.accessToken;
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

  return channel({
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
    claimed: ClaimedScoreSchema,
    async send(rows, context) {
      // One at a time: scores for one learner and line item must arrive in the order they were made.
      const outcomes = new Map<string, Outcome>();
      for (const row of rows) outcomes.set(row.id, await postScore(row, context));
      return outcomes;
    },
  });
}
