import type { FastifyError, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { LtiLaunchRefused } from "../errors/domain-errors.js";
import { authErrorResponses } from "../http/auth-responses.js";
import { acceptFormBodies } from "../http/form-body.js";
import { negotiateLanguage } from "../http/negotiate-language.js";
import { pagedList } from "../http/paged-list.js";
import { problemForDomainError } from "../http/problem-table.js";
import { CLASS_EXPORT_PATH, ClassExportFormSchema, exportClassCsv, openClassPage } from "../lti/class-page.js";
import {
  RegistrationFailed,
  RegistrationInitiationSchema,
  registerDynamically,
  registeredPage,
  registrationFailedPage,
} from "../lti/dynamic-registration.js";
import { platformFrameAncestors } from "../lti/framable-page.js";
import { landLearner, launchRefusedPage } from "../lti/landing.js";
import {
  LaunchFormSchema,
  LOGIN_TTL_MS,
  LoginInitiationSchema,
  startLogin,
  stateCookieName,
  storageOfOpenLogin,
  verifyLaunch,
} from "../lti/launch.js";
import {
  answerChoice,
  DEEP_LINKING_CHOICE_PATH,
  DeepLinkingChoiceSchema,
  openPicker,
  teacherLanguage,
} from "../lti/picker.js";
import {
  GradePolicySchema,
  LtiPlacementSchema,
  LtiScoreDeliverySchema,
  listPlacements,
  listScoreDeliveries,
  setGradePolicy,
} from "../lti/placements.js";
import { checkStatePage, isStorageCheckedPost, storageFrame, storeStatePage } from "../lti/platform-storage.js";
import {
  deletePlatform,
  LtiPlatformSchema,
  listPlatforms,
  NewLtiPlatformSchema,
  registerPlatform,
} from "../lti/platforms.js";
import { rotateToolKey, toolJwks } from "../lti/tool-keys.js";
import { clientOf } from "../plugins/auth.js";
import { replyWithProblem } from "../plugins/problem-handler.js";
import { ProblemSchema } from "../schemas/problem.js";

/** The URLs a platform administrator types into Moodle or Canvas, from where this request arrived. */
function toolUrls(request: FastifyRequest) {
  const base = `${request.protocol}://${request.host}`;
  return { loginUrl: `${base}/lti/login`, launchUrl: `${base}/lti/launch`, jwksUrl: `${base}/lti/jwks` };
}

const ToolUrlsSchema = z.object({
  loginUrl: z.string().describe("Initiate login URL (OIDC login)"),
  launchUrl: z.string().describe("Target link URI and redirect URI; also the Deep Linking URL"),
  jwksUrl: z.string().describe("Public keyset URL of the tool"),
});

const JwksSchema = z
  .object({ keys: z.array(z.record(z.string(), z.unknown())) })
  .meta({ id: "Jwks", description: "RFC 7517 JSON Web Key Set" });

/** The routes a person's browser reaches inside the platform's iframe, where an error should read as a page. */
const BROWSER_ROUTES = ["/lti/login", "/lti/launch", CLASS_EXPORT_PATH];

export const ltiRoutes: FastifyPluginAsyncZod = async (app) => {
  // Platforms post the login initiation and the launch as HTML forms.
  acceptFormBodies(app);

  // A refused login or launch reaches a learner in the platform's iframe: a browser asking for HTML
  // gets a page that says what to do, in its language, framable by the platform (FRAME_ANCESTORS, and
  // the launch's platform once its login is known). API callers, and
  // every other error, get the problem+json of the one table.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    // A navigating browser names text/html in Accept; API clients and platforms' back ends do not.
    const browser = BROWSER_ROUTES.includes(path) && /\btext\/html\b/.test(request.headers.accept ?? "");
    if (browser && error instanceof LtiLaunchRefused) {
      const { status } = problemForDomainError(error);
      const language = negotiateLanguage(request, reply);
      const frameAncestors = error.platform
        ? platformFrameAncestors(error.platform, app.config.frameAncestors)
        : app.config.frameAncestors;
      return launchRefusedPage(reply, status, error.message, language, frameAncestors);
    }
    return replyWithProblem(error, request, reply);
  });

  app.post(
    "/v1/lti/platforms",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["lti"],
        summary: "Register an LTI 1.3 platform (a Moodle or Canvas site) for an API client (admin)",
        body: NewLtiPlatformSchema,
        response: {
          201: LtiPlatformSchema.extend({ tool: ToolUrlsSchema }).meta({ id: "RegisteredLtiPlatform" }),
          400: ProblemSchema,
          422: ProblemSchema.describe("No such active API client, or this issuer and client_id are registered"),
          ...authErrorResponses,
        },
      },
    },
    async (request, reply) => {
      const platform = await registerPlatform(app.storage, request.body, {
        allowPrivateUrls: app.outbound.allowPrivateUrls,
      });
      return reply.code(201).send({ ...platform, tool: toolUrls(request) });
    },
  );

  app.get(
    "/v1/lti/platforms",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["lti"],
        summary: "Registered LTI platforms, oldest first (admin)",
        ...pagedList(LtiPlatformSchema, "LtiPlatformPage"),
      },
    },
    async (request) => listPlatforms(app.storage, request.query),
  );

  app.delete(
    "/v1/lti/platforms/:id",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["lti"],
        summary: "Remove a platform registration: its launches stop working (admin)",
        params: z.object({ id: z.uuid() }),
        response: { 204: z.null(), 400: ProblemSchema, 404: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request, reply) => {
      await deletePlatform(app.storage, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/v1/lti/keys",
    {
      config: { scope: "admin" },
      schema: {
        tags: ["lti"],
        summary: "Rotate the tool's signing key: a new key signs from now on, older keys stay in the JWKS (admin)",
        response: { 201: z.object({ kid: z.string() }), 422: ProblemSchema, ...authErrorResponses },
      },
    },
    async (_request, reply) => reply.code(201).send(await rotateToolKey(app.storage, app.config.secretsKey)),
  );

  app.get(
    "/v1/lti/placements",
    {
      config: { scope: "progress:read" },
      schema: {
        tags: ["lti"],
        summary: "Exercises placed in courses on this client's platforms, with their line item and grade policy",
        ...pagedList(LtiPlacementSchema, "LtiPlacementPage"),
      },
    },
    async (request) => listPlacements(app.storage, clientOf(request).id, request.query),
  );

  app.put(
    "/v1/lti/placements/:id/grade-policy",
    {
      config: { scope: "webhooks:manage" },
      schema: {
        tags: ["lti"],
        summary: "Choose which score a placement posts: best (default) or latest",
        params: z.object({ id: z.uuid() }),
        body: z.strictObject({ gradePolicy: GradePolicySchema }),
        response: { 200: LtiPlacementSchema, 400: ProblemSchema, 404: ProblemSchema, ...authErrorResponses },
      },
    },
    async (request) => setGradePolicy(app.storage, clientOf(request).id, request.params.id, request.body.gradePolicy),
  );

  app.get(
    "/v1/lti/scores",
    {
      config: { scope: "progress:read" },
      schema: {
        tags: ["lti"],
        summary: "Scores posted to platforms' line items, newest first, with their status and attempts",
        ...pagedList(LtiScoreDeliverySchema, "LtiScoreDeliveryPage"),
      },
    },
    async (request) => listScoreDeliveries(app.storage, clientOf(request).id, request.query),
  );

  app.get(
    "/lti/jwks",
    {
      schema: {
        tags: ["lti"],
        summary: "The tool's public keys, for platforms to verify what the tool signs",
        response: { 200: JwksSchema },
      },
    },
    async (_request, reply) => {
      reply.header("cache-control", "public, max-age=300");
      return toolJwks(app.storage);
    },
  );

  for (const method of ["GET", "POST"] as const) {
    app.route({
      method,
      url: "/lti/login",
      schema: {
        tags: ["lti"],
        summary:
          "OIDC login initiation from a platform: redirects the browser to the platform's authorization endpoint",
        ...(method === "GET" ? { querystring: LoginInitiationSchema } : { body: LoginInitiationSchema }),
        response: {
          200: z
            .string()
            .describe(
              "text/html, when the platform offers its storage (lti_storage_target): a page that puts the state in the platform's frame by postMessage (lti.put_data), then goes on to the platform; if the frame refuses or is silent, it starts the login again with a cookie",
            ),
          302: z.null().describe("To the platform, with state and nonce; the state is set in a cookie"),
          400: ProblemSchema,
          401: ProblemSchema,
        },
      },
      handler: async (request, reply) => {
        // The schema validated whichever of the two this method carries; the other is undefined.
        const params = (method === "GET" ? request.query : request.body) as z.infer<typeof LoginInitiationSchema>;
        const login = await startLogin(app.storage, params, toolUrls(request).launchUrl);
        const { redirectTo, state } = login;
        if (login.storageTarget !== undefined) {
          // The platform keeps the state in its own frame: no cookie, which its iframe might block.
          const cookieLogin = new URLSearchParams(
            Object.entries(params).filter(([name, value]) => name !== "lti_storage_target" && value !== undefined),
          );
          return storeStatePage(
            reply,
            negotiateLanguage(request, reply),
            storageFrame(login.storageTarget, login.platform, app.config.frameAncestors),
            { key: stateCookieName(state), state, redirectTo, cookieLoginUrl: `/lti/login?${cookieLogin}` },
          );
        }
        // SameSite=None: the launch is a cross-site form POST from the platform, which must carry it back.
        // One cookie per login, named by its state, so two launches begun in one browser (two tabs, two
        // tool links on one course page) do not overwrite each other's. Partitioned (CHIPS): in the
        // LMS's iframe the browser keeps it under the LMS's site, where blocked third-party cookies
        // would otherwise drop it.
        reply.header(
          "set-cookie",
          `${stateCookieName(state)}=${state}; Path=/lti; Max-Age=${LOGIN_TTL_MS / 1000}; HttpOnly; Secure; SameSite=None; Partitioned`,
        );
        return reply.redirect(redirectTo, 302);
      },
    });
  }

  app.get(
    "/lti/register",
    {
      schema: {
        tags: ["lti"],
        summary:
          "LTI Dynamic Registration: opened by the LMS admin's browser; the tool reads the platform's configuration, registers itself and stores the platform under a new API client (only with LTI_DYNAMIC_REGISTRATION=true)",
        querystring: RegistrationInitiationSchema,
        response: {
          200: z
            .string()
            .describe(
              "text/html: registered; names the new API client (never a key) and posts org.imsglobal.lti.close to the platform's window",
            ),
          400: z
            .union([ProblemSchema, z.string()])
            .describe(
              "A missing or malformed query parameter (problem+json), or text/html: the configuration could not be read or is invalid",
            ),
          404: ProblemSchema.describe("Dynamic Registration is off (LTI_DYNAMIC_REGISTRATION)"),
          409: z.string().describe("text/html: the configuration's issuer is already registered"),
          502: z.string().describe("text/html: the platform could not be reached or refused the registration"),
        },
      },
    },
    async (request, reply) => {
      if (!app.config.ltiDynamicRegistration) return reply.callNotFound();
      const language = negotiateLanguage(request, reply);
      const base = `${request.protocol}://${request.host}`;
      try {
        const registered = await registerDynamically(
          { storage: app.storage, outbound: app.outbound },
          request.query,
          base,
        );
        request.log.info(
          {
            platformId: registered.platform.id,
            apiClientId: registered.apiClient.id,
            issuer: registered.platform.issuer,
          },
          "LTI platform registered dynamically",
        );
        return registeredPage(reply, language, registered, app.config.frameAncestors);
      } catch (error) {
        if (!(error instanceof RegistrationFailed)) throw error;
        request.log.warn({ kind: error.kind, reason: error.reason }, "LTI dynamic registration failed");
        const configurationOrigin = new URL(request.query.openid_configuration).origin;
        return registrationFailedPage(reply, language, error.kind, [...app.config.frameAncestors, configurationOrigin]);
      }
    },
  );

  const pickerDeps = {
    storage: app.storage,
    secretsKey: app.config.secretsKey,
    curriculum: app.curriculum,
    frameAncestors: app.config.frameAncestors,
  };
  const classDeps = { ...pickerDeps, outbound: app.outbound };

  app.post(
    "/lti/launch",
    {
      schema: {
        tags: ["lti"],
        summary: "LTI 1.3 launch (resource link or deep linking request), posted by the platform",
        body: LaunchFormSchema,
        response: {
          200: z
            .string()
            .describe(
              "text/html: the teacher's picker of lessons and exercises (deep linking), in the teacher's language, or a page saying nothing can be placed when the platform's accept_types lacks ltiResourceLink; or, for a resource-link launch with a teaching role (Instructor, TeachingAssistant, ContentDeveloper, Administrator), the class page of the launch's course, after reading and storing its roster when the launch offers NRPS (a roster that cannot be read is said on the page, never an error); or, when the login kept its state in the platform's storage (lti_storage_target) and no cookie holds it, a page that reads the state back from the platform's frame (lti.get_data) and, when it is this launch's, posts the launch again from the tool's own page (platform_storage=checked, honoured only with Sec-Fetch-Site: same-origin)",
            ),
          303: z.null().describe("A learner's launch: signs the browser in and redirects to the placed lesson"),
          400: ProblemSchema,
          401: ProblemSchema.describe("The launch cannot be trusted; detail says why"),
          429: ProblemSchema.describe("More sessions minted for the platform's API client in a minute than its limit"),
        },
      },
    },
    async (request, reply) => {
      const cookies = request.headers.cookie;
      const { state } = request.body;
      const stateCookie = stateCookieName(state);
      const cookieState = cookies === undefined ? undefined : app.parseCookie(cookies)[stateCookie];
      const storageChecked = isStorageCheckedPost(request, request.body.platform_storage);
      // A post already marked as checked never gets the page that checks again: one that does not
      // prove its origin (another site's form, or a browser without Fetch Metadata) is refused below,
      // instead of looping between the page and the launch.
      if (cookieState !== state && request.body.platform_storage === undefined) {
        const storage = await storageOfOpenLogin(app.storage, state);
        if (storage) {
          const frame = storageFrame(storage.target, storage.platform, app.config.frameAncestors);
          const launch = { key: stateCookie, state, idToken: request.body.id_token, launchPath: "/lti/launch" };
          return checkStatePage(reply, negotiateLanguage(request, reply), frame, launch);
        }
      }
      const launch = await verifyLaunch(app.storage, request.body, { cookieState, storageChecked }, app.outbound);
      // The login is used up (verifyLaunch consumed its state): its cookie goes with it.
      if (cookieState !== undefined) {
        reply.header(
          "set-cookie",
          `${stateCookie}=; Path=/lti; Max-Age=0; HttpOnly; Secure; SameSite=None; Partitioned`,
        );
      }
      const { deepLinking } = launch;
      if (launch.messageType === "LtiDeepLinkingRequest" && deepLinking) {
        const language = teacherLanguage(launch.locale, request, reply);
        return openPicker(reply, pickerDeps, { ...launch, deepLinking }, language);
      }
      if (launch.teaching) {
        return openClassPage(reply, classDeps, launch, teacherLanguage(launch.locale, request, reply));
      }
      const exercise = launch.exerciseId ? app.curriculum.exercises.get(launch.exerciseId) : undefined;
      const lesson = launch.lessonSlug && app.catalog.lessons.has(launch.lessonSlug) ? launch.lessonSlug : undefined;
      await app.sessionMints.take(request, launch.platform.clientId);
      return landLearner(reply, request, app.storage, launch, exercise?.lesson ?? lesson);
    },
  );

  // The picker's form posts one `item` per choice: the form parser keeps them all (http/form-body.ts).
  app.post(
    DEEP_LINKING_CHOICE_PATH,
    {
      schema: {
        tags: ["lti"],
        summary:
          "The teacher's choice in the deep-linking picker: signs the LtiDeepLinkingResponse now and answers the page that posts it to the platform",
        body: DeepLinkingChoiceSchema,
        response: {
          200: z
            .string()
            .describe(
              "text/html: a form that posts the signed response (JWT) to the platform's deep-linking return URL",
            ),
          400: ProblemSchema.describe(
            "No item chosen, several where the platform accepts one, or an id the course does not have; errors[].path names the field",
          ),
          401: ProblemSchema.describe("The context token does not verify or has expired: open the picker again"),
        },
      },
    },
    async (request, reply) => answerChoice(reply, pickerDeps, request.body, toolUrls(request).launchUrl),
  );

  app.post(
    CLASS_EXPORT_PATH,
    {
      schema: {
        tags: ["lti"],
        summary:
          "The class page's CSV download: the class of the page's signed token, one row per learner and exercise",
        body: ClassExportFormSchema,
        response: {
          200: z.string().describe("text/csv, as an attachment, the same as GET /v1/lti/platforms/…/class.csv"),
          400: ProblemSchema,
          401: ProblemSchema.describe("The class token does not verify or has expired: open the class again"),
          404: ProblemSchema.describe("The course has no placement and no learner launch yet"),
        },
      },
    },
    async (request, reply) => exportClassCsv(reply, classDeps, request.body),
  );
};
