import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import type { Database } from "../db/prisma.js";
import { type Exercise, maxScoreOf } from "../grading/exercise.js";
import type { LocalizedText } from "../schemas/language.js";
import type { Launch } from "./launch.js";
import { currentSigningKey, TOOL_ALG } from "./tool-keys.js";

/**
 * What a teacher can place: an exercise, graded out of its checks' points, or a lesson to read,
 * which has no gradebook column of its own (its exercises are placed one by one).
 */
export type Placeable =
  | {
      kind: "exercise";
      exercise: Exercise;
      /** The exercise's points: the line item's scoreMaximum, so the gradebook column matches our scores. */
      scoreMaximum: number;
    }
  | { kind: "lesson"; slug: string; title: LocalizedText };

export function placeable(exercise: Exercise): Placeable {
  const points = maxScoreOf(exercise);
  return { kind: "exercise", exercise, scoreMaximum: points > 0 ? points : 1 };
}

export function placeableLesson(lesson: { slug: string; title: LocalizedText }): Placeable {
  return { kind: "lesson", slug: lesson.slug, title: lesson.title };
}

function contentItem(item: Placeable, launchUrl: string) {
  if (item.kind === "lesson") {
    return {
      type: "ltiResourceLink",
      title: item.title.es,
      text: item.title.en,
      url: launchUrl,
      custom: { lesson_slug: item.slug },
    };
  }
  const { exercise, scoreMaximum } = item;
  return {
    type: "ltiResourceLink",
    title: exercise.title.es,
    text: exercise.title.en,
    url: launchUrl,
    custom: { exercise_id: exercise.id },
    lineItem: { scoreMaximum, label: exercise.title.es, resourceId: exercise.id },
  };
}

/**
 * The signed LtiDeepLinkingResponse (Deep Linking 2.0 §4.2) that places one item: an LTI resource
 * link to our launch URL whose custom parameter names it; an exercise also gets a line item, so the
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
  return new SignJWT({
    nonce: randomBytes(16).toString("base64url"),
    "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
    "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
    "https://purl.imsglobal.org/spec/lti/claim/deployment_id": launch.deploymentId,
    ...(launch.deepLinking?.data
      ? { "https://purl.imsglobal.org/spec/lti-dl/claim/data": launch.deepLinking.data }
      : {}),
    "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": [contentItem(item, launchUrl)],
  })
    .setProtectedHeader({ alg: TOOL_ALG, kid, typ: "JWT" })
    .setIssuer(launch.platform.platformClientId)
    .setAudience(launch.platform.issuer)
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key);
}
