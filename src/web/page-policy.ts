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
    // The lesson's terminal is a page of ours in a frame (terminalPolicy).
    "frame-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${["'self'", ...frameAncestors].join(" ")}`,
  ].join("; ");
}

/**
 * The terminal's own page (web/terminal.html), framed by the lesson page: the same policy, but
 * xterm.js draws with <style> elements its code makes, which only 'unsafe-inline' lets apply. That
 * page shows only the terminal's bytes, written as text: no HTML from anyone reaches it.
 */
export function terminalPolicy(frameAncestors: readonly string[]): string {
  return pagePolicy(frameAncestors).replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");
}
