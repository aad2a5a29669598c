import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import type { Storage } from "../db/storage.js";
import { type Exercise, maxScoreOf } from "../grading/exercise.js";
import type { Language, LocalizedText } from "../schemas/language.js";
import { LTI_RESOURCE_LINK } from "./launch.js";
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
  | { kind: "lesson"; slug: string; title: LocalizedText; summary: LocalizedText };

export function placeable(exercise: Exercise): Placeable {
  const points = maxScoreOf(exercise);
  return { kind: "exercise", exercise, scoreMaximum: points > 0 ? points : 1 };
}

export function placeableLesson(lesson: { slug: string; title: LocalizedText; summary: LocalizedText }): Placeable {
  return { kind: "lesson", slug: lesson.slug, title: lesson.title, summary: lesson.summary };
}

/** The course-wide name of what a teacher can place, as the picker's form posts it. */
export function placeableId(item: Placeable): string {
  return item.kind === "lesson" ? `lesson:${item.slug}` : `exercise:${item.exercise.id}`;
}

/** In the teacher's language: the title and text are what the course page shows, the label the gradebook's column. */
function contentItem(item: Placeable, launchUrl: string, language: Language) {
  const link = (title: LocalizedText, text: LocalizedText, custom: Record<string, string>) => ({
    type: LTI_RESOURCE_LINK,
    title: title[language],
    text: text[language],
    url: launchUrl,
    custom,
  });
  if (item.kind === "lesson") return link(item.title, item.summary, { lesson_slug: item.slug });
  const { exercise, scoreMaximum } = item;
  return {
    ...link(exercise.title, exercise.outcome, { exercise_id: exercise.id }),
    lineItem: { scoreMaximum, label: exercise.title[language], resourceId: exercise.id },
  };
}

/** Who the response answers: the platform's registration, the launch's deployment, and its opaque data. */
interface DeepLinkingAnswer {
  platform: { issuer: string; platformClientId: string };
  deploymentId: string;
  data: string | undefined;
}

/**
 * The signed LtiDeepLinkingResponse (Deep Linking 2.0 §4.2) that places the teacher's choice: one LTI
 * resource link per item, to our launch URL, whose custom parameter names it; an exercise also gets a
 * line item, so the platform creates the gradebook column that scores are later posted to. Signed
 * when the teacher chooses, so its 5 minutes are the time the browser takes to post it.
 */
export async function deepLinkingResponse(
  storage: Storage,
  secretsKey: Buffer | undefined,
  answer: DeepLinkingAnswer,
  items: readonly Placeable[],
  launchUrl: string,
  language: Language,
): Promise<string> {
  const { kid, key } = await currentSigningKey(storage, secretsKey);
  return new SignJWT({
    nonce: randomBytes(16).toString("base64url"),
    "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingResponse",
    "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
    "https://purl.imsglobal.org/spec/lti/claim/deployment_id": answer.deploymentId,
    ...(answer.data ? { "https://purl.imsglobal.org/spec/lti-dl/claim/data": answer.data } : {}),
    "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": items.map((item) =>
      contentItem(item, launchUrl, language),
    ),
  })
    .setProtectedHeader({ alg: TOOL_ALG, kid, typ: "JWT" })
    .setIssuer(answer.platform.platformClientId)
    .setAudience(answer.platform.issuer)
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key);
}
