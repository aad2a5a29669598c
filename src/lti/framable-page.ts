import { createHash } from "node:crypto";
import type { FastifyReply } from "fastify";
import type { Language } from "../schemas/language.js";
import { escapeHtml } from "../web/html.js";

/** What a page the platform may frame is allowed to do, beyond showing itself. */
interface FramablePage {
  status?: number;
  language: Language;
  title: string;
  /** HTML, escaped by the caller. */
  body: string;
  /** Origins that may frame the page, besides the tool's own. */
  frameAncestors: readonly string[];
  /** Where its forms may post, besides the tool itself. */
  formTargets?: readonly string[];
  /** The inline scripts it runs, allowed by their hash and nothing else. */
  scripts?: readonly string[];
}

/**
 * The one set of headers of every page the tool shows inside a platform's iframe (a refused launch,
 * the picker, the answer to the platform): framable by the platform, posting forms only where it
 * says, and running no script but those it names by hash.
 */
export function sendFramablePage(reply: FastifyReply, page: FramablePage) {
  const origins = (urls: readonly string[]) => [...new Set(["'self'", ...urls.map((url) => new URL(url).origin)])];
  const scriptSrc = page.scripts?.length ? `script-src ${page.scripts.map(scriptHash).join(" ")}; ` : "";
  // X-Frame-Options: DENY (set for every response) would overrule frame-ancestors in old browsers.
  reply.removeHeader("x-frame-options");
  return reply
    .code(page.status ?? 200)
    .header(
      "content-security-policy",
      `default-src 'none'; ${scriptSrc}style-src 'unsafe-inline'; form-action ${origins(page.formTargets ?? []).join(" ")}; ` +
        `frame-ancestors ${origins(page.frameAncestors).join(" ")}`,
    )
    .header("cache-control", "no-store")
    .header("content-language", page.language)
    .type("text/html; charset=utf-8")
    .send(
      `<!doctype html>\n<html lang="${page.language}"><head><meta charset="utf-8"><title>${escapeHtml(page.title)}</title></head><body>\n${page.body}\n</body></html>\n`,
    );
}

function scriptHash(script: string): string {
  return `'sha256-${createHash("sha256").update(script).digest("base64")}'`;
}

/**
 * Who may frame the pages of one platform's launch: the origins an admin listed (FRAME_ANCESTORS),
 * and the platform's own, which its registration and the launch tell. The course page is where the
 * return URL points (a Canvas school's own host), not always where the issuer or the login endpoint
 * are (canvas.instructure.com, sso.canvaslms.com), so each counts.
 */
export function platformFrameAncestors(
  platform: { issuer: string; authUrl: string },
  configured: readonly string[],
  returnUrl?: string,
): string[] {
  return [...configured, platform.issuer, platform.authUrl, ...(returnUrl ? [returnUrl] : [])];
}
