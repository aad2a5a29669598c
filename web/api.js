// The page's only door to the service: the public /v1 JSON, with the session cookie.

/** A problem+json answer (RFC 9457), or a request that never got one (status 0). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
  /** What the learner should be told, as a key of the page's strings. */
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
  if (response.status === 204) return null;
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}
