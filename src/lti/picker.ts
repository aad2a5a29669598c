import type { FastifyReply, FastifyRequest } from "fastify";
import { createLocalJWKSet, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import type { Curriculum } from "../content/load-curriculum.js";
import type { Storage } from "../db/storage.js";
import { InvalidInput, LtiLaunchRefused } from "../errors/domain-errors.js";
import { negotiateLanguage } from "../http/negotiate-language.js";
import { type Language, LanguageSchema } from "../schemas/language.js";
import { deepLinkingResponse, type Placeable, placeable, placeableId, placeableLesson } from "./deep-linking.js";
import { platformFrameAncestors } from "./framable-page.js";
import { type DeepLinkingSettings, type Launch, LTI_RESOURCE_LINK } from "./launch.js";
import {
  exerciseLabel,
  lessonLabel,
  nothingToPlacePage,
  type PickerModule,
  pickerPage,
  sendToPlatformPage,
} from "./picker-pages.js";
import { currentSigningKey, TOOL_ALG, toolJwks } from "./tool-keys.js";

/**
 * How long a teacher may take over the picker. The platform's response is signed only when they
 * choose, so this bounds the page, not the response (whose 5 minutes are the browser's post).
 */
const PICKER_CONTEXT_TTL_SECONDS = 3600;
/** Where the picker posts the teacher's choice, on the tool's own origin. */
export const DEEP_LINKING_CHOICE_PATH = "/lti/deep-linking/response";
/** Its own JWT type, so no other token the tool signs (a deep-linking response, a client assertion) passes for one. */
const CONTEXT_TYP = "lti-dl-context+jwt";
/**
 * The context token's issuer and audience: the tool, for itself. Not a URL built from the request's
 * host, which a proxy or a second hostname may change between the picker and the choice.
 */
const CONTEXT_AUDIENCE = "aprendiendo-docker:lti-picker";
const CONTEXT_CLAIM = "deep_linking";

/** The body the picker's form posts: its context token and the chosen items' ids (once per item). */
const ItemIdSchema = z.string().min(1).max(300);
export const DeepLinkingChoiceSchema = z.object({
  context: z.string().min(1).max(10_000).describe("The picker's signed deep-linking context, as the page holds it"),
  item: z
    .union([ItemIdSchema, z.array(ItemIdSchema).max(500)])
    .optional()
    .describe("The chosen items, lesson:<slug> or exercise:<id>; one, or several when the platform accepts them"),
});

/** What the tool needs, at the teacher's choice, of the deep-linking launch it no longer has. */
const PickerContextSchema = z.object({
  platformId: z.string(),
  deploymentId: z.string(),
  data: z.string().optional(),
  returnUrl: z.url(),
  acceptMultiple: z.boolean(),
  acceptTypes: z.array(z.string()),
  language: LanguageSchema,
});
type PickerContext = z.infer<typeof PickerContextSchema>;

interface PickerDeps {
  storage: Storage;
  secretsKey: Buffer | undefined;
  curriculum: Curriculum;
  /** FRAME_ANCESTORS: LMS origins an admin allowed to frame the tool's pages. */
  frameAncestors: readonly string[];
}

/**
 * The teacher's language: the platform's (launch_presentation locale, e.g. "en-GB", Moodle's "es_mx")
 * when the course is written in it, else their browser's (Accept-Language), else Spanish.
 */
export function teacherLanguage(locale: string | undefined, request: FastifyRequest, reply: FastifyReply): Language {
  const fromPlatform = LanguageSchema.safeParse(locale?.trim().toLowerCase().split(/[-_]/)[0]);
  return negotiateLanguage(request, reply, fromPlatform.success ? fromPlatform.data : undefined);
}

/**
 * A deep-linking launch: the picker of lessons and exercises in the teacher's language, or, when the
 * platform accepts no LTI resource link, a page that says nothing here can be placed. Nothing is
 * signed for the platform yet: the page carries a context token the tool signs for itself.
 */
export async function openPicker(
  reply: FastifyReply,
  deps: PickerDeps,
  launch: Launch & { deepLinking: DeepLinkingSettings },
  language: Language,
) {
  const { deepLinking } = launch;
  const frameAncestors = platformFrameAncestors(launch.platform, deps.frameAncestors, deepLinking.returnUrl);
  if (!deepLinking.acceptTypes.includes(LTI_RESOURCE_LINK)) {
    return nothingToPlacePage(reply, { language, acceptTypes: deepLinking.acceptTypes, frameAncestors });
  }
  const context = await signPickerContext(deps, {
    platformId: launch.platform.id,
    deploymentId: launch.deploymentId,
    data: deepLinking.data,
    returnUrl: deepLinking.returnUrl,
    acceptMultiple: deepLinking.acceptMultiple,
    acceptTypes: deepLinking.acceptTypes,
    language,
  });
  return pickerPage(reply, {
    language,
    multiple: deepLinking.acceptMultiple,
    modules: pickerModules(deps.curriculum, language),
    context,
    postTo: DEEP_LINKING_CHOICE_PATH,
    frameAncestors,
  });
}

/**
 * The teacher chose: checks the picker's context token and the chosen ids, signs the
 * LtiDeepLinkingResponse now, and answers the page that posts it to the platform's return URL.
 * A token that does not verify or has expired is a refused launch (401); an id the course does not
 * have, or several where the platform accepts one, names the field (400).
 */
export async function answerChoice(
  reply: FastifyReply,
  deps: PickerDeps,
  choice: z.infer<typeof DeepLinkingChoiceSchema>,
  /** Where placements launch: every content item's url. */
  launchUrl: string,
) {
  const context = await verifyPickerContext(deps.storage, choice.context);
  const items = chosenItems(deps.curriculum, choice.item, context.acceptMultiple);
  const platform = await deps.storage.prisma.ltiPlatform.findUnique({ where: { id: context.platformId } });
  if (!platform?.deploymentIds.includes(context.deploymentId)) {
    throw new LtiLaunchRefused(
      "The deep-linking choice was refused: its platform or deployment is no longer registered.",
    );
  }
  const jwt = await deepLinkingResponse(
    deps.storage,
    deps.secretsKey,
    { platform, deploymentId: context.deploymentId, data: context.data },
    items,
    launchUrl,
    context.language,
  );
  return sendToPlatformPage(reply, {
    language: context.language,
    returnUrl: context.returnUrl,
    jwt,
    frameAncestors: platformFrameAncestors(platform, deps.frameAncestors, context.returnUrl),
  });
}

/** Signed by the tool's current key, by the tool for itself; `now` is when the picker opened. */
export async function signPickerContext(
  deps: Pick<PickerDeps, "storage" | "secretsKey">,
  context: PickerContext,
  now: Date = new Date(),
): Promise<string> {
  const { kid, key } = await currentSigningKey(deps.storage, deps.secretsKey);
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new SignJWT({ [CONTEXT_CLAIM]: context })
    .setProtectedHeader({ alg: TOOL_ALG, kid, typ: CONTEXT_TYP })
    .setIssuer(CONTEXT_AUDIENCE)
    .setAudience(CONTEXT_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + PICKER_CONTEXT_TTL_SECONDS)
    .sign(key);
}

async function verifyPickerContext(storage: Storage, token: string): Promise<PickerContext> {
  try {
    // Every key the tool has published: a rotation while the teacher chooses does not refuse them.
    const { payload } = await jwtVerify(token, createLocalJWKSet(await toolJwks(storage)), {
      issuer: CONTEXT_AUDIENCE,
      audience: CONTEXT_AUDIENCE,
      typ: CONTEXT_TYP,
      algorithms: [TOOL_ALG],
      requiredClaims: ["exp", "iat"],
    });
    return PickerContextSchema.parse(payload[CONTEXT_CLAIM]);
  } catch (error) {
    const why =
      error instanceof joseErrors.JWTExpired
        ? "it has expired: open the picker again from the course"
        : "it does not verify: open the picker again from the course";
    throw new LtiLaunchRefused(`The deep-linking choice was refused: its context token ${why}.`);
  }
}

/** Each module in course order, its lessons in course order, each lesson to read and then its exercises. */
function pickerModules(curriculum: Curriculum, language: Language): PickerModule[] {
  return curriculum.modules
    .map((module) => ({
      title: module.title[language],
      lessons: curriculum.lessons
        .filter((lesson) => lesson.module === module.slug)
        .map((lesson) => ({
          title: lesson.title[language],
          choices: placeablesOf(curriculum, lesson).map((item) => ({
            id: placeableId(item),
            label:
              item.kind === "lesson"
                ? lessonLabel(language, item.title[language])
                : exerciseLabel(language, item.exercise.title[language], item.scoreMaximum),
          })),
        })),
    }))
    .filter((module) => module.lessons.length > 0);
}

function placeablesOf(curriculum: Curriculum, lesson: Curriculum["lessons"][number]): Placeable[] {
  return [
    placeableLesson(lesson),
    ...lesson.exercises.flatMap((id) => {
      const exercise = curriculum.exercises.get(id);
      return exercise ? [placeable(exercise)] : [];
    }),
  ];
}

/** The chosen ids as what they place, in the order chosen, each once. */
function chosenItems(curriculum: Curriculum, chosen: string | string[] | undefined, acceptMultiple: boolean) {
  const ids = chosen === undefined ? [] : [chosen].flat();
  if (ids.length === 0) throw new InvalidInput("body.item", "choose a lesson or an exercise");
  const distinct = [...new Set(ids)];
  if (distinct.length > 1 && !acceptMultiple) {
    throw new InvalidInput("body.item", "the platform accepts one item per placement: choose one");
  }
  const known = new Map(
    curriculum.lessons.flatMap((lesson) => placeablesOf(curriculum, lesson)).map((item) => [placeableId(item), item]),
  );
  return distinct.map((id) => {
    const item = known.get(id);
    if (!item) {
      const path = Array.isArray(chosen) ? `body.item.${ids.indexOf(id)}` : "body.item";
      throw new InvalidInput(path, `${id} is not a lesson (lesson:<slug>) or exercise (exercise:<id>) of this course`);
    }
    return item;
  });
}
