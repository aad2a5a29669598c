// @ts-check
// The page's only door to the service: the public /v1 JSON, with the session cookie.

/**
 * The service's answers, typed by the schemas that validate and document them (src/): the page cannot
 * drift from the API without `npm run typecheck` saying so.
 * @typedef {import("../src/content/catalog-schemas.js").CourseOutline} CourseOutline
 * @typedef {import("../src/content/catalog-schemas.js").LessonView} Lesson
 * @typedef {Lesson["exercises"][number]} Exercise what GET /v1/exercises/{id} serves, with its href
 * @typedef {import("../src/content/catalog-schemas.js").CommandView} Command
 * @typedef {{ items: import("../src/content/catalog-schemas.js").CommandSummary[] }} CommandList
 * @typedef {import("../src/content/catalog-schemas.js").SearchResults} SearchResults
 * @typedef {import("zod").infer<typeof import("../src/sessions/learner-sessions.js").SessionInfoSchema>} Session
 * @typedef {import("zod").infer<typeof import("../src/progress/learner-progress.js").LearnerProgressSchema>} Progress
 * @typedef {import("zod").infer<typeof import("../src/submissions/submission-schema.js").SubmissionSchema>} Submission
 * @typedef {{ items: Submission[], nextCursor: string | null }} SubmissionPage
 */

/** A problem+json answer (RFC 9457), or a request that never got one (status 0). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{ type?: string, detail?: string, dependency?: string }} problem
   */
  constructor(status, problem) {
    super(problem.detail ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
  /**
   * What the learner should be told, as a key of the page's strings.
   * @returns {"offline" | "sessionExpired" | "signInToCheck" | "refused" | "engineRefused" | "engineDown" | "serviceDown" | "notFound" | "failedRequest"}
   */
  get reason() {
    const type = String(this.problem.type ?? "");
    if (this.status === 0) return "offline";
    if (type.endsWith("/session-expired")) return "sessionExpired";
    if (this.status === 401) return "signInToCheck";
    if (this.status === 403) return "refused";
    if (type.endsWith("/engine-refused")) return "engineRefused";
    if (this.status === 503) return this.problem.dependency === "docker" ? "engineDown" : "serviceDown";
    if (this.status === 404) return "notFound";
    return "failedRequest";
  }
}

/**
 * The JSON at `path`, as the caller says it is (the `T` of the route it asks): the server's schemas
 * guarantee the shape, so the page does not parse it again.
 * @template [T=unknown]
 * @param {string} path
 * @param {{ method?: string, body?: unknown, lang?: string }} [options]
 * @returns {Promise<T>}
 */
export async function api(path, { method = "GET", body, lang } = {}) {
  const url = new URL(path, location.origin);
  if (lang) url.searchParams.set("lang", lang);
  let response;
  try {
    response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: body ? { "content-type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError(0, {});
  }
  // 204 answers only the requests whose caller asks for no body (T is null there).
  if (response.status === 204) return /** @type {T} */ (null);
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

/**
 * GET /v1/session: who is signed in on this browser (a 401 when nobody is).
 * @returns {Promise<Session>}
 */
export const currentSession = () => api("/v1/session");
