import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type CryptoKey,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";
import request from "supertest";
import { SESSION_COOKIE } from "../../src/http/session-cookie.js";
import { createTestClient, type TestApp } from "../helper.js";

/**
 * An LTI 1.3 platform (what Moodle or Canvas play) over real HTTP, built with jose: its JWKS, and an
 * OIDC authorization endpoint that answers the tool's login redirect with the auto-posting form a
 * platform sends, carrying a signed id_token. Each test says who launches and how the token is
 * made (`nextLaunch`), including the broken tokens an attacker or a misconfigured platform sends.
 * For grades it has a token endpoint (client credentials with a JWT assertion checked against the
 * tool's JWKS), a deep-linking return that creates line items in a course, and line-item score
 * endpoints that apply Moodle's or Canvas's rules as those platforms do:
 * - the userId must be enrolled in the line item's course (Moodle 400 "not gradable", Canvas 422);
 * - a score's timestamp must be newer than the last one: Moodle compares whole seconds and answers
 *   409, Canvas compares milliseconds and answers 400 naming the timestamps;
 * - Canvas counts each score as a new submission attempt unless its submission extension says
 *   `new_submission: false`, and answers 422 past the assignment's attempt limit.
 * `failNextScores` plays an outage; `teacherGrades` a grade entered in the gradebook by hand.
 * For the teacher's view it serves Names and Role Provisioning Services 2.0: a course with a roster
 * (`rosters`) gets the NRPS claim in its launches, and its membership container is served in pages
 * (`rosterPageSize`, the tool's `limit`) linked by `Link: rel="next"`, to a token of the NRPS scope only.
 */
export interface LaunchSpec {
  sub: string;
  messageType?: "LtiResourceLinkRequest" | "LtiDeepLinkingRequest";
  custom?: Record<string, string>;
  /** Claims to add or override, e.g. a wrong aud. */
  claims?: JWTPayload;
  /** Seconds until expiry; negative: already expired. */
  expiresIn?: number;
  /** Leave exp out, as a broken platform might. */
  withoutExp?: boolean;
  /** Sign with a key the JWKS does not publish (under its own kid). */
  unpublishedKey?: boolean;
  /** Flip a character of the signature after signing. */
  tamper?: boolean;
  /** Launch a placement: its resource link id and the line item created for it by deep linking. */
  placement?: { resourceLinkId: string; lineItemId: string };
  /** The launching user's roles in the course; a Learner's by default. */
  roles?: string[];
  /** A deep-linking request's settings: ltiResourceLink only and accept_multiple absent by default. */
  deepLinking?: { acceptTypes?: string[]; acceptMultiple?: boolean };
  /** The launch_presentation locale, the user's language on the platform; absent by default. */
  locale?: string;
}

export const LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
export const INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";
const SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
export const NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly";
export const MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json";

/** A member of a course as NRPS 2.0 describes one (§2.2). */
export interface RosterMember {
  user_id: string;
  roles: string[];
  status?: "Active" | "Inactive" | "Deleted";
  name?: string;
  given_name?: string;
  family_name?: string;
  email?: string;
}
const CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission";

export interface LineItem {
  id: string;
  url: string;
  scoreMaximum: number;
  resourceId: string;
  label: string;
  /** The course (LTI context) the line item is in. */
  course: string;
  /** Every score accepted, in order, and the timestamp of the last one per user. */
  scores: Record<string, unknown>[];
  lastTimestamp: Map<string, string>;
  /** Canvas: submission attempts counted per user. */
  attempts: Map<string, number>;
  /** What the gradebook shows per user: the last score accepted, or the teacher's own. */
  gradebook: Map<string, number>;
}

export interface LtiPlatformDouble {
  issuer: string;
  clientId: string;
  deploymentId: string;
  authUrl: string;
  tokenUrl: string;
  jwksUrl: string;
  nextLaunch: LaunchSpec;
  /** What to launch by the login's lti_message_hint (one per tool link on a page); nextLaunch otherwise. */
  launchesByMessageHint: Map<string, LaunchSpec>;
  rules: "moodle" | "canvas";
  /** Subs enrolled in the default course ("course-1"): scores for anyone else are refused there. */
  enrolled: Set<string>;
  /** Subs enrolled per course; "course-1" is `enrolled`. */
  courses: Map<string, Set<string>>;
  lineItems: Map<string, LineItem>;
  tokenRequests: number;
  /** Canvas: the assignment's allowed attempts (unlimited when undefined). */
  attemptLimit: number | undefined;
  /** Every request the platform received, as "METHOD /path", in order. */
  requests: string[];
  /** Every score POST, accepted or not, with the status it was answered. */
  scorePosts: { lineItemId: string; score: Record<string, unknown>; status: number }[];
  /** Members per course, as NRPS serves them; a course listed here offers NRPS in its launches. */
  rosters: Map<string, RosterMember[]>;
  /** The most members a roster page holds, whatever `limit` the tool asks for. */
  rosterPageSize: number;
  /** Every roster page served or refused: its URL (query included), the Accept header and the status. */
  rosterReads: { url: string; accept: string | undefined; status: number }[];
  /** The scope of every token granted, in order. */
  tokenScopes: string[];
  /** Answers roster reads with this status (an outage) while set. */
  rosterFailure: number | undefined;
  /** A broken platform: every roster page links a next one, forever. */
  rosterNeverEnds: boolean;
  /** A roster page's next link names this origin instead of the platform's (the double still serves it). */
  rosterNextOrigin: string | undefined;
  /** Where the platform serves its OpenID configuration (Dynamic Registration); /.well-known/openid-configuration by default. */
  openidConfigurationPath: string;
  /** Fields of the served configuration to replace, e.g. another issuer. */
  openidConfigurationOverrides: Record<string, unknown>;
  /** The one-time token the registration endpoint requires as Bearer; the tool gets it in the initiation URL. */
  registrationToken: string;
  /** Every tool registration the registration endpoint accepted, as posted. */
  registrations: Record<string, unknown>[];
  /** Every registration POST, with the status it was answered and why when refused. */
  registrationPosts: { status: number; problem?: string }[];
  /** Pages the platform serves as its own, by path: e.g. a course page that frames the tool. */
  pages: Map<string, string>;
  /** Its authorization answer posts itself, as a platform's does in a browser (tests that drive the form leave it off). */
  autoPost: boolean;
  /** The platform offers its client-side storage in this frame: the launch form says so (lti_storage_target). */
  storageTarget: string | undefined;
  /** The URL an LMS admin's browser opens on the tool to register it (Dynamic Registration's initiation). */
  registrationUrl(toolBase: string): string;
  /** Answers the next `count` score POSTs with `status` (an outage), then behaves again. */
  failNextScores(count: number, status?: number): void;
  /** A teacher enters a grade in the gradebook now, as the platform's own update. */
  teacherGrades(lineItemId: string, sub: string, score: number): void;
  /** The body of POST /v1/lti/platforms that registers this platform for an API client. */
  registrationFor(apiClientId: string): Record<string, unknown>;
  /** Where the tool publishes its keys: the token endpoint and deep-linking return verify with them. */
  trustTool(jwksUrl: string): void;
  /** Posts a teacher's deep-linking choice back as the picker's form would; the line item it created in `course`. */
  returnDeepLink(jwt: string, course?: string): Promise<LineItem>;
  /** The same, for a response that may place several items: every line item it created, in order. */
  returnDeepLinks(jwt: string, course?: string): Promise<LineItem[]>;
  /** The data claim the platform sends in deep-linking requests, and requires back unchanged. */
  deepLinkingData: string;
  /** Follows the tool's redirect as a browser would: the form fields the platform posts back. */
  authorize(location: string): Promise<{ action: string; id_token: string; state: string }>;
  close(): Promise<void>;
}

/**
 * The tool listening on a free loopback port, with the platform trusting the keys it publishes there
 * (its /lti/jwks): the tool's origin.
 */
export async function serveTool(
  app: { listen(options: { port: number; host: string }): Promise<string> },
  platform: Pick<LtiPlatformDouble, "trustTool">,
): Promise<string> {
  const origin = await app.listen({ port: 0, host: "127.0.0.1" });
  platform.trustTool(`${origin}/lti/jwks`);
  return origin;
}

/** A launch of an exercise's placement (its line item from deep linking, by resource id), as `spec` says. */
export function placedLaunch(placed: ReadonlyMap<string, LineItem>, spec: LaunchSpec, exercise: string): LaunchSpec {
  const item = placed.get(exercise);
  if (!item) throw new Error(`${exercise} is not placed`);
  return {
    custom: { exercise_id: exercise },
    placement: { resourceLinkId: `link-${item.id}`, lineItemId: item.id },
    ...spec,
  };
}

/**
 * The platform registered with the tool by an admin, for a new API client of an LMS that writes
 * submissions and reads progress: that client, whose grades and class the platform's launches reach,
 * and `platformId`, the id the tool gave the platform.
 */
export async function registerWithTool(t: Pick<TestApp, "app" | "prisma">, platform: LtiPlatformDouble) {
  const admin = await createTestClient(t.prisma, ["admin"]);
  const lms = await createTestClient(t.prisma, ["submissions:write", "progress:read"]);
  const registered = await request(t.app.server)
    .post("/v1/lti/platforms")
    .set("authorization", admin.auth)
    .send(platform.registrationFor(lms.id));
  if (registered.status !== 201) throw new Error(`registration answered ${registered.status}: ${registered.text}`);
  return { ...lms, platformId: registered.body.id as string };
}

/**
 * Login and the platform's authorization, as the user's browser does them against the tool at
 * `tool`: the login's state cookie (`name=value`) and the form the platform posts back. `spec` is
 * what the platform puts in the id_token.
 */
export async function loginThrough(tool: Server, platform: LtiPlatformDouble, spec: LaunchSpec) {
  platform.nextLaunch = spec;
  const login = await request(tool)
    .get("/lti/login")
    .query({
      iss: platform.issuer,
      login_hint: "h",
      target_link_uri: "http://tool/lti/launch",
      client_id: platform.clientId,
    })
    .expect(302);
  const stateCookie = String(login.headers["set-cookie"]).split(";")[0] ?? "";
  return { stateCookie, posted: await platform.authorize(login.headers.location ?? "") };
}

/** Login, the platform's authorization and the launch, as the user's browser does them: the tool's answer. */
export async function launchThrough(tool: Server, platform: LtiPlatformDouble, spec: LaunchSpec) {
  const { stateCookie, posted } = await loginThrough(tool, platform, spec);
  return request(tool)
    .post("/lti/launch")
    .type("form")
    .set("cookie", stateCookie)
    .send({ id_token: posted.id_token, state: posted.state });
}

/** What the picker page offers: where its form posts, its context token, and each choice's id and label. */
export function pickerFormOf(html: string) {
  const inputs = [
    ...html.matchAll(/<input type="(radio|checkbox)" name="item" value="([^"]+)"[^>]*> ([^<]+)<\/label>/g),
  ];
  return {
    action: /<form method="post" action="([^"]+)">/.exec(html)?.[1] ?? "",
    context: /name="context" value="([^"]+)"/.exec(html)?.[1] ?? "",
    inputType: inputs[0]?.[1],
    choices: inputs.map((match) => ({ id: match[2] ?? "", label: unescapeHtml(match[3] ?? "") })),
  };
}

/** Posts the teacher's choice as the picker's form does (one `item` field per chosen id): the tool's answer. */
export function chooseThrough(tool: Server, picker: { text: string }, items: string[], context?: string) {
  const form = pickerFormOf(picker.text);
  const body = new URLSearchParams({ context: context ?? form.context });
  for (const item of items) body.append("item", item);
  return request(tool).post(new URL(form.action, "http://tool").pathname).type("form").send(body.toString());
}

/** The signed response a send-to-the-course page posts, and the URL it posts it to. */
export function deepLinkingResponseOf(html: string): { action: string; jwt: string } {
  return {
    action: unescapeHtml(/<form id="send" method="post" action="([^"]+)">/.exec(html)?.[1] ?? ""),
    jwt: /name="JWT" value="([^"]+)"/.exec(html)?.[1] ?? "",
  };
}

/**
 * A teacher's deep-linking launch from `platform`, their choice of `items` in the picker, and the
 * page that sends it: the signed response JWT their browser would post to the platform.
 */
export async function placeThrough(
  tool: Server,
  platform: LtiPlatformDouble,
  items: string[],
  spec?: Partial<LaunchSpec>,
) {
  const picker = await launchThrough(tool, platform, {
    sub: "teacher",
    roles: [INSTRUCTOR],
    ...spec,
    messageType: "LtiDeepLinkingRequest",
  });
  if (picker.status !== 200) throw new Error(`the deep-linking launch answered ${picker.status}: ${picker.text}`);
  const chosen = await chooseThrough(tool, picker, items);
  if (chosen.status !== 200) throw new Error(`the choice answered ${chosen.status}: ${chosen.text}`);
  return deepLinkingResponseOf(chosen.text).jwt;
}

function unescapeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_match, code: string) => String.fromCharCode(Number(code)));
}

/** The session cookie a landed launch set (`name=value`), among the others it set or cleared. */
export function sessionCookieOf(landed: { headers: Record<string, unknown> }): string {
  const lines = ([] as string[]).concat((landed.headers["set-cookie"] as string | string[] | undefined) ?? []);
  return lines.find((line) => line.startsWith(`${SESSION_COOKIE}=`))?.split(";")[0] ?? "";
}

export async function startLtiPlatform(): Promise<LtiPlatformDouble> {
  const published = await generateKeyPair("RS256");
  const unpublished = await generateKeyPair("RS256");
  const kid = randomUUID();
  const publicJwk: JWK = { ...(await exportJWK(published.publicKey)), kid, alg: "RS256", use: "sig" };
  const server = createServer((request, response) => route(request, response).catch(() => send(response, 500, "")));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const double: LtiPlatformDouble = {
    issuer: base,
    clientId: `tool-${randomUUID()}`,
    deploymentId: "deployment-1",
    authUrl: `${base}/auth`,
    tokenUrl: `${base}/token`,
    jwksUrl: `${base}/jwks`,
    nextLaunch: { sub: "user-1" },
    launchesByMessageHint: new Map(),
    rules: "moodle",
    enrolled: new Set(),
    courses: new Map(),
    lineItems: new Map(),
    tokenRequests: 0,
    attemptLimit: undefined,
    rosters: new Map(),
    rosterPageSize: 100,
    rosterReads: [],
    tokenScopes: [],
    rosterFailure: undefined,
    rosterNeverEnds: false,
    rosterNextOrigin: undefined,
    requests: [],
    scorePosts: [],
    openidConfigurationPath: "/.well-known/openid-configuration",
    openidConfigurationOverrides: {},
    registrationToken: randomUUID(),
    registrations: [],
    registrationPosts: [],
    pages: new Map(),
    autoPost: false,
    storageTarget: undefined,
    registrationUrl(toolBase) {
      const url = new URL("/lti/register", toolBase);
      url.searchParams.set("openid_configuration", `${base}${double.openidConfigurationPath}`);
      url.searchParams.set("registration_token", double.registrationToken);
      return url.pathname + url.search;
    },
    failNextScores(count, status = 503) {
      outage = { count, status };
    },
    teacherGrades(lineItemId, sub, score) {
      const item = double.lineItems.get(lineItemId);
      if (!item) throw new Error(`no line item ${lineItemId}`);
      item.lastTimestamp.set(sub, new Date().toISOString());
      item.gradebook.set(sub, score);
    },
    registrationFor(apiClientId) {
      return {
        apiClientId,
        issuer: double.issuer,
        clientId: double.clientId,
        deploymentIds: [double.deploymentId],
        authUrl: double.authUrl,
        tokenUrl: double.tokenUrl,
        jwksUrl: double.jwksUrl,
      };
    },
    trustTool(jwksUrl) {
      toolKeys = createRemoteJWKSet(new URL(jwksUrl));
    },
    async returnDeepLink(jwt, course = "course-1") {
      const [item] = await double.returnDeepLinks(jwt, course);
      if (!item) throw new Error("no line item was created");
      return item;
    },
    async returnDeepLinks(jwt, course = "course-1") {
      const response = await fetch(`${base}/deep-link-return`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ JWT: jwt, course }),
      });
      if (!response.ok) throw new Error(`deep-linking return answered ${response.status}: ${await response.text()}`);
      const { ids } = (await response.json()) as { ids: string[] };
      return ids.map((id) => {
        const item = double.lineItems.get(id);
        if (!item) throw new Error(`no line item ${id} was created`);
        return item;
      });
    },
    deepLinkingData: "opaque-platform-data",
    async authorize(location) {
      // The authorization endpoint may be named for a browser (a test site's https name): ask the double itself.
      const asked = new URL(location);
      const html = await (await fetch(new URL(asked.pathname + asked.search, base))).text();
      const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? "";
      return { action: /action="([^"]*)"/.exec(html)?.[1] ?? "", id_token: field("id_token"), state: field("state") };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  let toolKeys: ReturnType<typeof createRemoteJWKSet> | undefined;
  /** Each access token granted, with the scopes it was granted for. */
  const accessTokens = new Map<string, string[]>();
  let outage = { count: 0, status: 503 };
  double.courses.set("course-1", double.enrolled);

  async function idToken(nonce: string, messageHint: string | null): Promise<string> {
    const spec =
      (messageHint === null ? undefined : double.launchesByMessageHint.get(messageHint)) ?? double.nextLaunch;
    const key: CryptoKey = spec.unpublishedKey ? unpublished.privateKey : published.privateKey;
    const messageType = spec.messageType ?? "LtiResourceLinkRequest";
    const now = Math.floor(Date.now() / 1000);
    const builder = new SignJWT({
      iss: double.issuer,
      aud: double.clientId,
      sub: spec.sub,
      nonce,
      "https://purl.imsglobal.org/spec/lti/claim/message_type": messageType,
      "https://purl.imsglobal.org/spec/lti/claim/version": "1.3.0",
      "https://purl.imsglobal.org/spec/lti/claim/deployment_id": double.deploymentId,
      "https://purl.imsglobal.org/spec/lti/claim/roles": spec.roles ?? [LEARNER],
      ...(messageType === "LtiResourceLinkRequest"
        ? { "https://purl.imsglobal.org/spec/lti/claim/resource_link": { id: "resource-link-1" } }
        : {
            "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings": {
              deep_link_return_url: `${base}/deep-link-return`,
              accept_types: spec.deepLinking?.acceptTypes ?? ["ltiResourceLink"],
              ...(spec.deepLinking?.acceptMultiple !== undefined
                ? { accept_multiple: spec.deepLinking.acceptMultiple }
                : {}),
              data: double.deepLinkingData,
            },
          }),
      ...(spec.locale
        ? { "https://purl.imsglobal.org/spec/lti/claim/launch_presentation": { locale: spec.locale } }
        : {}),
      ...(spec.custom ? { "https://purl.imsglobal.org/spec/lti/claim/custom": spec.custom } : {}),
      ...(spec.placement
        ? {
            "https://purl.imsglobal.org/spec/lti/claim/resource_link": { id: spec.placement.resourceLinkId },
            "https://purl.imsglobal.org/spec/lti/claim/context": {
              id: double.lineItems.get(spec.placement.lineItemId)?.course ?? "course-1",
            },
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
              scope: ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
              lineitem: double.lineItems.get(spec.placement.lineItemId)?.url,
            },
          }
        : {}),
      ...namesRolesClaim(spec),
      ...spec.claims,
    })
      .setProtectedHeader({ alg: "RS256", kid: spec.unpublishedKey ? randomUUID() : kid })
      .setIssuedAt(now - 5);
    if (!spec.withoutExp) builder.setExpirationTime(now + (spec.expiresIn ?? 300));
    const token = await builder.sign(key);
    if (!spec.tamper) return token;
    const [header, payload, signature = ""] = token.split(".");
    const flipped = `${signature.slice(0, 10)}${signature[10] === "A" ? "B" : "A"}${signature.slice(11)}`;
    return [header, payload, flipped].join(".");
  }

  /** The NRPS claim of a launch from a course that has a roster. */
  function namesRolesClaim(spec: LaunchSpec) {
    const course = spec.placement ? (double.lineItems.get(spec.placement.lineItemId)?.course ?? "course-1") : undefined;
    if (course === undefined || !double.rosters.has(course)) return {};
    return {
      "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
        context_memberships_url: `${base}/courses/${encodeURIComponent(course)}/memberships`,
        service_versions: ["2.0"],
      },
    };
  }

  async function route(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? "/", base);
    double.requests.push(`${request.method} ${url.pathname}`);
    if (url.pathname === "/jwks") return send(response, 200, JSON.stringify({ keys: [publicJwk] }), "application/json");
    // A browser asks for the icon of the platform's login page: no icon, and no error either.
    if (url.pathname === "/favicon.ico") return send(response, 204, "");
    const page = double.pages.get(url.pathname);
    if (page !== undefined && request.method === "GET") return send(response, 200, page, "text/html");
    if (url.pathname === double.openidConfigurationPath && request.method === "GET") {
      const configuration = {
        issuer: double.issuer,
        authorization_endpoint: double.authUrl,
        registration_endpoint: `${base}/register`,
        jwks_uri: double.jwksUrl,
        token_endpoint: double.tokenUrl,
        token_endpoint_auth_methods_supported: ["private_key_jwt"],
        token_endpoint_auth_signing_alg_values_supported: ["RS256"],
        scopes_supported: ["openid", SCORE_SCOPE, NRPS_SCOPE],
        response_types_supported: ["id_token"],
        id_token_signing_alg_values_supported: ["RS256"],
        claims_supported: ["sub", "iss", "name", "locale"],
        subject_types_supported: ["public"],
        "https://purl.imsglobal.org/spec/lti-platform-configuration": {
          product_family_code: "moodle",
          version: "4.1",
          messages_supported: [{ type: "LtiResourceLinkRequest" }, { type: "LtiDeepLinkingRequest" }],
        },
        ...double.openidConfigurationOverrides,
      };
      return send(response, 200, JSON.stringify(configuration), "application/json");
    }
    if (url.pathname === "/register" && request.method === "POST") {
      const refuse = (status: number, problem: string) => {
        double.registrationPosts.push({ status, problem });
        return send(
          response,
          status,
          JSON.stringify({ error: "invalid_client_metadata", problem }),
          "application/json",
        );
      };
      if (request.headers.authorization !== `Bearer ${double.registrationToken}`) return refuse(401, "token");
      if (request.headers["content-type"] !== "application/json") return refuse(415, "content-type");
      const tool = JSON.parse(await read(request)) as Record<string, unknown>;
      const problem = registrationProblem(tool);
      if (problem) return refuse(400, problem);
      double.registrations.push(tool);
      double.registrationPosts.push({ status: 200 });
      const configuration = tool[TOOL_CONFIGURATION] as Record<string, unknown>;
      return send(
        response,
        200,
        JSON.stringify({
          ...tool,
          client_id: double.clientId,
          [TOOL_CONFIGURATION]: { ...configuration, deployment_id: double.deploymentId },
        }),
        "application/json",
      );
    }
    if (url.pathname === "/auth") {
      const q = url.searchParams;
      // What a platform checks before it answers a login: its own client, the registered redirect, a nonce.
      const valid =
        q.get("client_id") === double.clientId &&
        q.get("response_type") === "id_token" &&
        q.get("response_mode") === "form_post" &&
        q.get("scope") === "openid" &&
        q.get("prompt") === "none" &&
        Boolean(q.get("nonce")) &&
        Boolean(q.get("login_hint"));
      if (!valid) return send(response, 400, "invalid authorization request");
      const form =
        `<form method="post" action="${q.get("redirect_uri")}">` +
        `<input type="hidden" name="id_token" value="${await idToken(q.get("nonce") ?? "", q.get("lti_message_hint"))}">` +
        `<input type="hidden" name="state" value="${q.get("state")}">` +
        (double.storageTarget
          ? `<input type="hidden" name="lti_storage_target" value="${double.storageTarget}">`
          : "") +
        "</form>" +
        (double.autoPost ? "<script>document.forms[0].submit()</script>" : "");
      return send(response, 200, form, "text/html");
    }
    if (url.pathname === "/token" && request.method === "POST") {
      const form = new URLSearchParams(await read(request));
      if (!toolKeys) return send(response, 500, "the test did not say where the tool's keys are");
      try {
        await jwtVerify(form.get("client_assertion") ?? "", toolKeys, {
          issuer: double.clientId,
          subject: double.clientId,
          audience: double.tokenUrl,
        });
      } catch {
        return send(response, 401, JSON.stringify({ error: "invalid_client" }), "application/json");
      }
      const scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
      const valid =
        form.get("grant_type") === "client_credentials" &&
        form.get("client_assertion_type") === "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" &&
        scopes.length > 0 &&
        scopes.every((scope) => scope === SCORE_SCOPE || scope === NRPS_SCOPE);
      if (!valid) return send(response, 400, JSON.stringify({ error: "invalid_request" }), "application/json");
      double.tokenRequests++;
      double.tokenScopes.push(scopes.join(" "));
      const token = randomUUID();
      accessTokens.set(token, scopes);
      return send(
        response,
        200,
        JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 3600 }),
        "application/json",
      );
    }
    if (url.pathname === "/deep-link-return" && request.method === "POST") {
      if (!toolKeys) return send(response, 500, "the test did not say where the tool's keys are");
      const form = new URLSearchParams(await read(request));
      const jwt = form.get("JWT") ?? "";
      const course = form.get("course") ?? "course-1";
      // What a platform checks of a deep-linking response (Deep Linking 2.0 §4.2): the tool's signature,
      // for this platform, unexpired, of its own deployment, with the request's data unchanged.
      const { payload } = await jwtVerify(jwt, toolKeys, {
        issuer: double.clientId,
        audience: double.issuer,
        requiredClaims: ["exp", "iat", "nonce"],
      });
      const valid =
        payload["https://purl.imsglobal.org/spec/lti/claim/message_type"] === "LtiDeepLinkingResponse" &&
        payload["https://purl.imsglobal.org/spec/lti/claim/version"] === "1.3.0" &&
        payload["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] === double.deploymentId &&
        payload["https://purl.imsglobal.org/spec/lti-dl/claim/data"] === double.deepLinkingData;
      if (!valid) return send(response, 400, "not a deep-linking response to this platform's request");
      const items = payload["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"] as {
        lineItem?: { scoreMaximum: number; resourceId: string; label: string };
      }[];
      if (!Array.isArray(items) || items.length === 0) return send(response, 400, "no content item");
      // A line item per item that asks for one: a lesson to read has none.
      const ids = items.flatMap(({ lineItem }) => {
        if (!lineItem) return [];
        const id = String(double.lineItems.size + 1);
        // Moodle's line item URLs carry a query; Canvas's do not.
        const lineItemUrl =
          double.rules === "moodle" ? `${base}/lineitems/${id}/lineitem?type_id=1` : `${base}/lineitems/${id}`;
        double.lineItems.set(id, {
          id,
          url: lineItemUrl,
          ...lineItem,
          course,
          scores: [],
          lastTimestamp: new Map(),
          attempts: new Map(),
          gradebook: new Map(),
        });
        return [id];
      });
      return send(response, 200, JSON.stringify({ ids }), "application/json");
    }
    const memberships = /^\/courses\/([^/]+)\/memberships$/.exec(url.pathname);
    if (memberships && request.method === "GET") {
      const accept = request.headers.accept;
      const answer = (status: number, body = "", type = "text/plain", headers: Record<string, string> = {}) => {
        double.rosterReads.push({ url: url.pathname + url.search, accept, status });
        response.writeHead(status, { "content-type": type, ...headers });
        response.end(body);
      };
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
      if (!token || !accessTokens.get(token)?.includes(NRPS_SCOPE)) return answer(401);
      if (accept !== MEMBERSHIP_CONTAINER) return answer(406);
      if (double.rosterFailure !== undefined)
        return answer(double.rosterFailure, "<html>Unavailable</html>", "text/html");
      const course = decodeURIComponent(memberships[1] ?? "");
      const members = double.rosters.get(course);
      if (!members) return answer(404);
      // As Moodle and Canvas do: the tool's limit, up to the platform's own page size.
      const size = Math.min(Number(url.searchParams.get("limit") ?? members.length) || 1, double.rosterPageSize);
      const page = Number(url.searchParams.get("page") ?? "1");
      const more = double.rosterNeverEnds || page * size < members.length;
      const next = new URL(`${url.pathname}${url.search}`, double.rosterNextOrigin ?? base);
      next.searchParams.set("page", String(page + 1));
      return answer(
        200,
        JSON.stringify({
          id: url.toString(),
          context: { id: course, label: course, title: `Course ${course}` },
          members: members.slice((page - 1) * size, page * size),
        }),
        MEMBERSHIP_CONTAINER,
        more ? { link: `<${next.toString()}>; rel="next"` } : {},
      );
    }
    const scores = /^\/lineitems\/([^/]+)(?:\/lineitem)?\/scores$/.exec(url.pathname);
    if (scores && request.method === "POST") {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
      if (!token || !accessTokens.get(token)?.includes(SCORE_SCOPE)) return send(response, 401, "");
      if (request.headers["content-type"] !== "application/vnd.ims.lis.v1.score+json") return send(response, 415, "");
      const item = double.lineItems.get(scores[1] ?? "");
      if (!item) return send(response, 404, "");
      const score = JSON.parse(await read(request)) as {
        userId: string;
        timestamp: string;
        scoreGiven: number;
        [CANVAS_SUBMISSION]?: { new_submission?: boolean };
      };
      const answer = (status: number, body = "", type = "text/plain") => {
        double.scorePosts.push({ lineItemId: item.id, score, status });
        return send(response, status, body, type);
      };
      if (outage.count > 0) {
        outage.count--;
        return answer(outage.status, "<html>Service Unavailable</html>", "text/html");
      }
      if (!double.courses.get(item.course)?.has(score.userId)) {
        return double.rules === "moodle"
          ? answer(400, "User is not gradable in this course")
          : answer(
              422,
              JSON.stringify({ errors: { message: "User not found in course or is not a student" } }),
              "application/json",
            );
      }
      const last = item.lastTimestamp.get(score.userId);
      // Moodle stores whole seconds (timemodified) and refuses a score not newer; Canvas keeps milliseconds.
      const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
      const notNewer =
        last !== undefined &&
        (double.rules === "moodle"
          ? seconds(score.timestamp) <= seconds(last)
          : Date.parse(score.timestamp) <= Date.parse(last));
      if (notNewer) {
        return double.rules === "moodle"
          ? answer(409, "Refusing score with an earlier timestamp for item")
          : answer(
              400,
              JSON.stringify({
                errors: {
                  type: "bad_request",
                  message: `Provided timestamp of ${score.timestamp} before last updated timestamp of ${last}`,
                },
              }),
              "application/json",
            );
      }
      if (double.rules === "canvas" && score[CANVAS_SUBMISSION]?.new_submission !== false) {
        const attempts = (item.attempts.get(score.userId) ?? 0) + 1;
        if (double.attemptLimit !== undefined && attempts > double.attemptLimit) {
          return answer(
            422,
            JSON.stringify({ errors: { message: "The maximum number of allowed attempts has been reached" } }),
            "application/json",
          );
        }
        item.attempts.set(score.userId, attempts);
      }
      item.scores.push(score);
      item.lastTimestamp.set(score.userId, score.timestamp);
      item.gradebook.set(score.userId, score.scoreGiven);
      return double.rules === "moodle" ? answer(204) : answer(200, "{}");
    }
    return send(response, 404, "");
  }
  return double;
}

const TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration";

/**
 * What a platform requires of a tool's registration (Dynamic Registration §3.3, and OpenID Connect
 * Registration for the fields it takes from there): the first field that is missing or wrong.
 */
function registrationProblem(tool: Record<string, unknown>): string | undefined {
  const isUrl = (value: unknown) => typeof value === "string" && URL.canParse(value);
  const list = (value: unknown) => (Array.isArray(value) ? (value as unknown[]) : []);
  const configuration = tool[TOOL_CONFIGURATION] as Record<string, unknown> | undefined;
  const checks: [string, boolean][] = [
    ["application_type", tool.application_type === "web"],
    ["response_types", list(tool.response_types).includes("id_token")],
    ["grant_types", ["implicit", "client_credentials"].every((grant) => list(tool.grant_types).includes(grant))],
    ["initiate_login_uri", isUrl(tool.initiate_login_uri)],
    ["redirect_uris", list(tool.redirect_uris).length > 0 && list(tool.redirect_uris).every(isUrl)],
    ["jwks_uri", isUrl(tool.jwks_uri)],
    ["token_endpoint_auth_method", tool.token_endpoint_auth_method === "private_key_jwt"],
    ["scope", typeof tool.scope === "string"],
    [TOOL_CONFIGURATION, typeof configuration === "object" && configuration !== null],
    ["domain", typeof configuration?.domain === "string" && configuration.domain !== ""],
    ["target_link_uri", isUrl(configuration?.target_link_uri)],
    ["claims", Array.isArray(configuration?.claims)],
    [
      "messages",
      list(configuration?.messages).every((message) => typeof (message as { type?: unknown }).type === "string"),
    ],
  ];
  return checks.find(([, valid]) => !valid)?.[0];
}

async function read(request: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of request) body += chunk;
  return body;
}

function send(response: ServerResponse, status: number, body: string, type = "text/plain") {
  response.writeHead(status, { "content-type": type });
  response.end(body);
}
