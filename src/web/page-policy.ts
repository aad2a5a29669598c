/**
 * The learner's pages' own policy, stricter than the API's default (which lets /docs use inline
 * styles): only our own scripts, styles, images and fetches, nothing inline, forms posted only here.
 * They may be framed by this origin and the LMSs in FRAME_ANCESTORS, as an LTI launch opens them
 * inside the LMS.
 */
export function pagePolicy(frameAncestors: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${["'self'", ...frameAncestors].join(" ")}`,
  ].join("; ");
}
