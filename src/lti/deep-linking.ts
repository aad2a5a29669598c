import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import type { Database } from "../db/prisma.js";
import { type Exercise, maxScoreOf } from "../grading/exercise.js";
import type { Launch } from "./launch.js";
import { currentSigningKey, TOOL_ALG } from "./tool-keys.js";

/** What a teacher can place: one exercise, graded out of its checks' points. */
export interface Placeable {
  exercise: Exercise;
  /** The exercise's points: the line item's scoreMaximum, so the gradebook column matches our scores. */
  scoreMaximum: number;
}

export function placeable(exercise: Exercise): Placeable {
  const points = maxScoreOf(exercise);
  return { exercise, scoreMaximum: points > 0 ? points : 1 };
}

/**
 * The signed LtiDeepLinkingResponse (Deep Linking 2.0 §4.2) that places one exercise: an LTI
 * resource link to our launch URL whose custom exercise_id names it, with a line item, so the
 * platform creates the gradebook column that scores are later posted to.
 */
export async function deepLinkingResponse(
  db: Database,
  secretsKey: Buffer | undefined,
  launch: Launch,
  item: Placeable,
  launchUrl: string,
): Promise<string> {
  const { kid, key } = await currentSigningKey(db, secretsKey);
  const { exercise, scoreMaximum } = item;
  return new SignJWT({
    nonce: randomBytes(16).toString("base64url"),
    "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
    "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
    "https://purl.imsglobal.org/spec/lti/claim/deployment_id": launch.deploymentId,
    ...(launch.deepLinking?.data
      ? { "https://purl.imsglobal.org/spec/lti-dl/claim/data": launch.deepLinking.data }
      : {}),
    "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": [
      {
        type: "ltiResourceLink",
        title: exercise.title.es,
        text: exercise.title.en,
        url: launchUrl,
        custom: { exercise_id: exercise.id },
        lineItem: { scoreMaximum, label: exercise.title.es, resourceId: exercise.id },
      },
    ],
  })
    .setProtectedHeader({ alg: TOOL_ALG, kid, typ: "JWT" })
    .setIssuer(launch.platform.platformClientId)
    .setAudience(launch.platform.issuer)
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key);
}
