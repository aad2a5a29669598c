import { createHash, randomBytes } from "node:crypto";
import { createRemoteJWKSet, customFetch, type JWTPayload, errors as joseErrors, jwtVerify } from "jose";
import { z } from "zod";
import type { Storage } from "../db/storage.js";
import { isRefusedAtRegistration, type OutboundPolicy, OutboundRefused, send } from "../delivery/outbound.js";
import { LtiLaunchRefused } from "../errors/domain-errors.js";
import { ensureLearner } from "../learners/learners.js";
import { LearnerIdSchema } from "../schemas/ids.js";
import { STORAGE_CHECKED_FIELD, STORAGE_TARGET_PATTERN } from "./platform-storage.js";

/** The cookie (or the platform storage key) that ties one login's state to the browser that began it. */
export const stateCookieName = (state: string) => `lti_state_${state}`;
/** Time a learner has between the tool's redirect to the platform and the launch POST. */
export const LOGIN_TTL_MS = 10 * 60_000;

const LTI = "https://purl.imsglobal.org/spec/lti/claim/";
const DEEP_LINKING = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
/** The content item type every placement of this tool is (Deep Linking 2.0 §3.1). */
export const LTI_RESOURCE_LINK = "ltiResourceLink";
const AGS_ENDPOINT = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint";
/** Names and Role Provisioning Services 2.0: where the course's roster is read. */
const NAMES_ROLES = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice";
/** LIS context role of a learner (LTI Core §5.3.7.1); its sub-roles are written `…#Learner` too, after a slash. */
const LEARNER_ROLE = /^http:\/\/purl\.imsglobal\.org\/vocab\/lis\/v2\/membership(\/Learner)?#Learner$/;
/**
 * Roles of someone who teaches the course rather than takes it (LTI Core §A.2): the context roles
 * Instructor (TeachingAssistant is one of its sub-roles), ContentDeveloper and their sub-roles, and an
 * institution's or the system's Administrator. Such a launch gets the class, never a learner's page.
 */
const TEACHING_ROLE =
  /^http:\/\/purl\.imsglobal\.org\/vocab\/lis\/v2\/(membership#(Instructor|TeachingAssistant|ContentDeveloper)|membership\/(Instructor|ContentDeveloper)#\w+|(institution|system)\/person#Administrator)$/;

/** The third-party login initiation (OIDC), GET query or POST form alike. */
export const LoginInitiationSchema = z.object({
  iss: z.url().max(2000),
  login_hint: z.string().min(1).max(4000),
  target_link_uri: z.url().max(2000),
  lti_message_hint: z.string().max(4000).optional(),
  client_id: z.string().min(1).max(255).optional(),
  lti_deployment_id: z.string().min(1).max(255).optional(),
  /** The platform offers its client-side storage, in this frame (LTI platform storage). */
  lti_storage_target: z.string().regex(STORAGE_TARGET_PATTERN, "must name a frame").optional(),
});

export const LaunchFormSchema = z.object({
  id_token: z.string().min(1).max(20_000),
  state: z.string().min(1).max(200),
  /** Set by the tool's own page once it read the state back from the platform's storage. */
  [STORAGE_CHECKED_FIELD]: z.literal("checked").optional(),
});

/** The claims this tool reads, as LTI 1.3 Core and Deep Linking 2.0 define them. */
const LaunchClaimsSchema = z.object({
  // LTI Core §5.3.6: sub is at most 255 ASCII characters; a launch without one is anonymous.
  sub: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x20-\x7e]+$/, "must be printable ASCII"),
  [`${LTI}message_type`]: z.enum(["LtiResourceLinkRequest", "LtiDeepLinkingRequest"]),
  [`${LTI}version`]: z.literal("1.3.0"),
  [`${LTI}deployment_id`]: z.string().min(1).max(255),
  [`${LTI}resource_link`]: z.object({ id: z.string().min(1).max(255) }).optional(),
  // The course's names are only shown: one a platform sends malformed is dropped, not the launch.
  [`${LTI}context`]: z
    .object({
      id: z.string().min(1).max(255),
      title: z.string().optional().catch(undefined),
      label: z.string().optional().catch(undefined),
    })
    .optional(),
  [`${LTI}roles`]: z.array(z.string()).optional(),
  [`${LTI}custom`]: z.record(z.string(), z.unknown()).optional(),
  // The user's language on the platform, e.g. "es", "en-GB" (Moodle sends "es_mx").
  [`${LTI}launch_presentation`]: z.object({ locale: z.string().max(35).optional() }).optional(),
  [DEEP_LINKING]: z
    .object({
      deep_link_return_url: z.url(),
      accept_types: z.array(z.string()),
      // A boolean in the spec; a platform that writes it as a string should not refuse the teacher.
      accept_multiple: z
        .union([z.boolean(), z.enum(["true", "false"]).transform((flag) => flag === "true")])
        .optional(),
      data: z.string().optional(),
    })
    .optional(),
  [AGS_ENDPOINT]: z
    .object({ scope: z.array(z.string()), lineitem: z.url().optional(), lineitems: z.url().optional() })
    .optional(),
  // A roster that cannot be read must not refuse the launch: a malformed claim reads as no claim here,
  // and an address the tool will not call is refused when the roster is read.
  [NAMES_ROLES]: z
    .object({ context_memberships_url: z.string().min(1).max(2000) })
    .optional()
    .catch(undefined),
});

/**
 * A learner of the course, by their roles there: the Learner role and no teaching role, as a launch
 * decides (a teacher enrolled as a student too is a teacher). The roster applies the same rule.
 */
export function isLearnerByRoles(roles: readonly string[]): boolean {
  return !roles.some((role) => TEACHING_ROLE.test(role)) && roles.some((role) => LEARNER_ROLE.test(role));
}

interface LaunchClaims {
  platform: {
    id: string;
    clientId: string;
    issuer: string;
    platformClientId: string;
    authUrl: string;
    tokenUrl: string;
    jwksUrl: string;
    serviceOrigins: string[];
  };
  /** The launch carries the Learner role and no teaching role: only then are grades sent to this placement. */
  isLearner: boolean;
  messageType: "LtiResourceLinkRequest" | "LtiDeepLinkingRequest";
  deploymentId: string;
  sub: string;
  /** The course (LTI context) launched from, when the platform names one. */
  contextId: string | undefined;
  /** The course's name for people: its context title (Moodle: the full name), else its label; undefined when neither is given. */
  contextTitle: string | undefined;
  /** The exercise the placement names in its custom parameters (set by our deep linking). */
  exerciseId: string | undefined;
  /** The lesson a reading placement names instead (custom lesson_slug). */
  lessonSlug: string | undefined;
  resourceLinkId: string | undefined;
  lineItemUrl: string | undefined;
  /** The course's roster service (NRPS context_memberships_url), when the platform offers it. */
  membershipsUrl: string | undefined;
  /** The launch_presentation locale, as the platform wrote it. */
  locale: string | undefined;
  deepLinking: DeepLinkingSettings | undefined;
}

/**
 * A verified launch: a teacher's (a teaching role, see TEACHING_ROLE), which made no learner, or
 * anyone else's, as the learner it signs in.
 */
export type Launch = LaunchClaims &
  ({ teaching: true; learnerId?: undefined } | { teaching: false; learnerId: string });

/** What a deep-linking request asks of the tool's answer (Deep Linking 2.0 §4.4.1). */
export interface DeepLinkingSettings {
  returnUrl: string;
  /** Opaque to the tool: it must come back unchanged in the response. */
  data: string | undefined;
  acceptTypes: string[];
  /** Several content items in one response; one only when false or absent. */
  acceptMultiple: boolean;
}

/** A login begun: where the browser goes next, and what it must hold until the launch. */
interface StartedLogin {
  redirectTo: string;
  state: string;
  platform: { issuer: string; authUrl: string };
  /** The frame of the platform's storage that holds the state; undefined: the browser's cookie does. */
  storageTarget: string | undefined;
}

/**
 * Starts the OIDC login: remembers a state and a nonce, and sends the browser to the platform's
 * authorization endpoint. The browser holds the state too, so the launch must come back to the same
 * browser (LTI Security Framework §5.1.1.1): in the platform's storage when it offers one, otherwise
 * in a cookie.
 */
export async function startLogin(
  { prisma: db }: Storage,
  params: z.infer<typeof LoginInitiationSchema>,
  launchUrl: string,
): Promise<StartedLogin> {
  const candidates = await db.ltiPlatform.findMany({
    where: { issuer: params.iss, ...(params.client_id ? { platformClientId: params.client_id } : {}) },
    take: 2,
  });
  const [platform] = candidates;
  if (!platform) throw new LtiLaunchRefused(`No platform ${params.iss} is registered with this tool.`);
  if (candidates.length > 1) throw new LtiLaunchRefused("Several registrations share this issuer: send client_id.");
  // Housekeeping on the way: logins never completed, and nonces whose tokens have expired anyway.
  await db.ltiLoginState.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  await db.ltiUsedNonce.deleteMany({ where: { expiresAt: { lt: new Date() } } });
  const state = randomBytes(32).toString("base64url");
  const nonce = randomBytes(32).toString("base64url");
  const storageTarget = params.lti_storage_target;
  await db.ltiLoginState.create({
    data: {
      state,
      nonce,
      platformId: platform.id,
      expiresAt: new Date(Date.now() + LOGIN_TTL_MS),
      storageTarget: storageTarget ?? null,
    },
  });
  const redirect = new URL(platform.authUrl);
  const query = {
    scope: "openid",
    response_type: "id_token",
    response_mode: "form_post",
    prompt: "none",
    client_id: platform.platformClientId,
    redirect_uri: launchUrl,
    login_hint: params.login_hint,
    state,
    nonce,
    ...(params.lti_message_hint ? { lti_message_hint: params.lti_message_hint } : {}),
  };
  for (const [name, value] of Object.entries(query)) redirect.searchParams.set(name, value);
  return { redirectTo: redirect.toString(), state, platform, storageTarget };
}

/**
 * The platform storage frame of a login still open whose state the browser keeps there, if it is one:
 * its launch must first read the state back from that frame.
 */
export async function storageOfOpenLogin(
  { prisma: db }: Storage,
  state: string,
): Promise<{ target: string; platform: { issuer: string; authUrl: string } } | undefined> {
  const login = await db.ltiLoginState.findUnique({
    where: { state },
    select: { storageTarget: true, expiresAt: true, platform: { select: { issuer: true, authUrl: true } } },
  });
  if (!login?.storageTarget || login.expiresAt < new Date()) return undefined;
  return { target: login.storageTarget, platform: login.platform };
}

/**
 * One remote keyset per platform JWKS URL (and outbound policy): jose caches its keys and refetches
 * on an unknown kid. It fetches through the outbound module, so the JWKS URL is checked, pinned and
 * never redirected like every other URL the service was given.
 */
const keySets = new WeakMap<OutboundPolicy, Map<string, ReturnType<typeof createRemoteJWKSet>>>();
function keySetOf(jwksUrl: string, outbound: OutboundPolicy) {
  const ofPolicy = keySets.get(outbound) ?? new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  keySets.set(outbound, ofPolicy);
  let keySet = ofPolicy.get(jwksUrl);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(jwksUrl), {
      timeoutDuration: 5000,
      cooldownDuration: 30_000,
      [customFetch]: async (url) => {
        const answer = await send(url, { method: "GET", headers: { accept: "application/json" } }, outbound);
        return new Response(answer.body, { status: answer.status, headers: { "content-type": "application/json" } });
      },
    });
    ofPolicy.set(jwksUrl, keySet);
  }
  return keySet;
}

/**
 * Whether a service URL an id_token names (a line item, the roster) is on the registered platform:
 * the origin of its issuer, of one of its endpoints, or of a service origin registered for it.
 */
export function isOnPlatform(
  url: string,
  platform: { issuer: string; authUrl: string; tokenUrl: string; jwksUrl: string; serviceOrigins: string[] },
): boolean {
  const origins = new Set(
    [platform.issuer, platform.authUrl, platform.tokenUrl, platform.jwksUrl, ...platform.serviceOrigins].map(
      (known) => new URL(known).origin,
    ),
  );
  const parsed = URL.parse(url);
  return parsed !== null && /^https?:$/.test(parsed.protocol) && origins.has(parsed.origin);
}

/**
 * An id_token names the line item the tool will POST scores to, with the platform's bearer token.
 * It must be on the registered platform (isOnPlatform), and never an inward address.
 */
function checkLineItemUrl(
  url: string,
  platform: { issuer: string; authUrl: string; tokenUrl: string; jwksUrl: string; serviceOrigins: string[] },
  outbound: OutboundPolicy,
) {
  if (!isOnPlatform(url, platform)) {
    throw new LtiLaunchRefused(
      "The launch was refused: its line item is not on the registered platform's origin (register it as a service origin).",
      platform,
    );
  }
  if (isRefusedAtRegistration(url, outbound.allowPrivateUrls)) {
    throw new LtiLaunchRefused("The launch was refused: its line item points at a special-purpose address.", platform);
  }
}

/**
 * Verifies a launch (LTI Security Framework §5.1.3): the state is this browser's (its cookie holds
 * it, or the tool's page read it back from the platform's storage) and still open;
 * the id_token is signed by a key in the platform's JWKS, from its issuer, for this tool (aud, and
 * azp when there are several audiences), unexpired, with the login's nonce used only once; the
 * message is one we handle, of LTI 1.3.0, from a registered deployment. Then `sub` becomes a learner
 * of the platform (`learnerIdOnPlatform`), unless the launch has a teaching role: a teacher is no learner.
 */
export async function verifyLaunch(
  { prisma: db }: Storage,
  form: z.infer<typeof LaunchFormSchema>,
  browser: { cookieState: string | undefined; storageChecked: boolean },
  outbound: OutboundPolicy,
): Promise<Launch> {
  const login = await db.ltiLoginState.findUnique({ where: { state: form.state }, include: { platform: true } });
  const cookieHolds = browser.cookieState !== undefined && browser.cookieState === form.state;
  // A login whose state went into a cookie is proved by that cookie only.
  if (!cookieHolds && !(browser.storageChecked && login?.storageTarget)) {
    throw new LtiLaunchRefused(
      "The state does not belong to this browser: start the launch again from the course.",
      login?.platform,
    );
  }
  if (!login || login.expiresAt < new Date()) {
    throw new LtiLaunchRefused(
      "This login has expired or was already used: start the launch again from the course.",
      login?.platform,
    );
  }
  const { platform } = login;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(form.id_token, keySetOf(platform.jwksUrl, outbound), {
      issuer: platform.issuer,
      audience: platform.platformClientId,
      algorithms: ["RS256"],
      // jose checks exp only when present; an id_token without one would never expire.
      requiredClaims: ["exp", "iat", "nonce", "sub"],
    }));
  } catch (error) {
    throw new LtiLaunchRefused(`The id_token was refused: ${describeJoseError(error)}.`, platform);
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if ((audiences.length > 1 || payload.azp !== undefined) && payload.azp !== platform.platformClientId) {
    throw new LtiLaunchRefused("The id_token was refused: azp is not this tool's client_id.", platform);
  }
  if (payload.nonce !== login.nonce)
    throw new LtiLaunchRefused("The id_token was refused: its nonce is not this login's.", platform);
  const used = await db.ltiUsedNonce.createMany({
    data: [{ platformId: platform.id, nonce: login.nonce, expiresAt: new Date((payload.exp ?? 0) * 1000) }],
    skipDuplicates: true,
  });
  if (used.count === 0) throw new LtiLaunchRefused("The id_token was refused: its nonce was already used.", platform);
  await db.ltiLoginState.delete({ where: { state: form.state } });

  const parsed = LaunchClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new LtiLaunchRefused(`The launch was refused: claim ${issue?.path.join(".")} ${issue?.message}.`, platform);
  }
  const claims = parsed.data;
  const deploymentId = claims[`${LTI}deployment_id`];
  if (!platform.deploymentIds.includes(deploymentId)) {
    throw new LtiLaunchRefused(`The launch was refused: deployment ${deploymentId} is not registered.`, platform);
  }
  const custom = claims[`${LTI}custom`];
  const exerciseId = typeof custom?.exercise_id === "string" ? custom.exercise_id : undefined;
  const lessonSlug = typeof custom?.lesson_slug === "string" ? custom.lesson_slug : undefined;
  const resourceLinkId = claims[`${LTI}resource_link`]?.id;
  const lineItemUrl = claims[AGS_ENDPOINT]?.lineitem;
  if (lineItemUrl) checkLineItemUrl(lineItemUrl, platform, outbound);
  const contextId = claims[`${LTI}context`]?.id ?? null;
  const roles = claims[`${LTI}roles`] ?? [];
  const teaching = roles.some((role) => TEACHING_ROLE.test(role));
  const isLearner = isLearnerByRoles(roles);
  const learnerId = await db.$transaction(async (tx) => {
    // The launch is where the tool learns the line item of a placement; its grade policy is kept.
    // A teacher's launch teaches it too (often first), but makes no learner: nothing to grade or score.
    const placement =
      resourceLinkId && exerciseId && lineItemUrl
        ? await tx.ltiPlacement.upsert({
            where: { platformId_resourceLinkId: { platformId: platform.id, resourceLinkId } },
            create: { platformId: platform.id, resourceLinkId, exerciseId, lineitemUrl: lineItemUrl, contextId },
            update: { exerciseId, lineitemUrl: lineItemUrl, contextId },
          })
        : undefined;
    if (teaching) return undefined;
    // A user who launched before keeps the learner id they were given then, whatever its form; a new
    // user gets one of this platform's. Insert-or-keep, then read: two first launches at once agree.
    await tx.ltiLearner.createMany({
      data: [{ platformId: platform.id, sub: claims.sub, learnerId: learnerIdOnPlatform(platform, claims.sub) }],
      skipDuplicates: true,
    });
    const link = await tx.ltiLearner.findUniqueOrThrow({
      where: { platformId_sub: { platformId: platform.id, sub: claims.sub } },
      select: { learnerId: true },
    });
    await ensureLearner(tx, platform.clientId, link.learnerId);
    if (isLearner) {
      // Where the learner is: their grades for this exercise go to the placement they last launched.
      if (placement) {
        await tx.ltiLaunch.upsert({
          where: { placementId_sub: { placementId: placement.id, sub: claims.sub } },
          create: { placementId: placement.id, sub: claims.sub },
          update: { launchedAt: new Date() },
        });
      }
      // And in which course: the class its teachers see.
      if (contextId !== null) {
        await tx.ltiContextLearner.upsert({
          where: { platformId_contextId_sub: { platformId: platform.id, contextId, sub: claims.sub } },
          create: { platformId: platform.id, contextId, sub: claims.sub },
          update: { lastLaunchedAt: new Date() },
        });
      }
    }
    return link.learnerId;
  });
  const deepLinking = claims[DEEP_LINKING];
  const who = learnerId === undefined ? { teaching: true as const } : { teaching: false as const, learnerId };
  return {
    ...who,
    platform,
    isLearner,
    contextId: contextId ?? undefined,
    contextTitle: courseTitle(claims[`${LTI}context`]),
    messageType: claims[`${LTI}message_type`],
    deploymentId,
    sub: claims.sub,
    exerciseId,
    lessonSlug,
    resourceLinkId,
    lineItemUrl,
    membershipsUrl: claims[NAMES_ROLES]?.context_memberships_url,
    locale: claims[`${LTI}launch_presentation`]?.locale,
    deepLinking: deepLinking
      ? {
          returnUrl: deepLinking.deep_link_return_url,
          data: deepLinking.data,
          acceptTypes: deepLinking.accept_types,
          acceptMultiple: deepLinking.accept_multiple ?? false,
        }
      : undefined,
  };
}

/**
 * The short, stable name of a platform registration in its learners' ids: 12 hex characters of the
 * SHA-256 of its issuer and client_id. A `sub` is unique only within its issuer (LTI Core §5.3.6),
 * and one issuer may serve many schools (every Canvas cloud school is https://canvas.instructure.com,
 * told apart by the client_id of its developer key), so both name the user's namespace. It comes from
 * what the platform says rather than from the registration's row id, so a platform deleted and
 * registered again finds its learners' ids, and their work, as they were.
 *
 * The deployment is not part of it: a `sub` names the issuer's user, whatever the deployment (Canvas
 * deploys one developer key per account or course), so a learner placed in two courses through two
 * deployments stays one learner, with one progress; and a platform record already accepts only its
 * registered deployments.
 * 48 bits keep the ids readable; the platforms of one API client, which share its learner ids, are
 * registered by an admin, so a collision is a 1 in 2^48 accident per pair, not something a stranger
 * can aim at. The migration 20261214090000_lti_learner_per_platform computes the same in SQL.
 */
function platformKey(platform: { issuer: string; platformClientId: string }): string {
  return createHash("sha256").update(`${platform.issuer}\n${platform.platformClientId}`).digest("hex").slice(0, 12);
}

/** What every learner id this platform's launches create starts with, so an LMS can find its users' ids. */
export function learnerIdPrefixOf(platform: { issuer: string; platformClientId: string }): string {
  return `lti-${platformKey(platform)}-`;
}

/**
 * The learner id a platform user gets at their first launch: `lti-<platform key>-<sub>` when that is
 * a valid learner id (Moodle's and Canvas's subs are), else `lti-<platform key>-sha256:<hex>` of the
 * sub, since any printable ASCII may appear in a sub but not in a path, and learner ids are at most
 * 255 characters. Two platforms never give one id, so one `sub` at two sites is two learners. Users
 * linked before this rule keep their ids: `verifyLaunch` reads the link first.
 */
export function learnerIdOnPlatform(platform: { issuer: string; platformClientId: string }, sub: string): string {
  const readable = `${learnerIdPrefixOf(platform)}${sub}`;
  if (LearnerIdSchema.safeParse(readable).success) return readable;
  return `${learnerIdPrefixOf(platform)}sha256:${createHash("sha256").update(sub).digest("hex")}`;
}

function describeJoseError(error: unknown): string {
  if (error instanceof OutboundRefused) return "the platform's JWKS URL has no public address";
  if (error instanceof joseErrors.JWTExpired) return "it has expired";
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} is not what this tool expects`;
  if (error instanceof joseErrors.JWKSNoMatchingKey) return "no key in the platform's JWKS matches its kid";
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return "its signature does not verify";
  if (error instanceof joseErrors.JOSEError) return error.code;
  return "it could not be verified";
}

/** The first of the context's title and label that says something, cut to what a heading holds. */
function courseTitle(context: { title?: string | undefined; label?: string | undefined } | undefined) {
  const named = [context?.title, context?.label].map((name) => name?.trim()).find((name) => name);
  return named?.slice(0, 200);
}
