import type { FastifyReply, FastifyRequest } from "fastify";
import type { Language } from "../schemas/language.js";
import { escapeHtml } from "../web/html.js";
import { platformFrameAncestors, sendFramablePage } from "./framable-page.js";

/**
 * LTI client-side OIDC storage ("platform storage", 1EdTech's postMessage storage for LTI 1.3): a
 * platform that offers `lti_storage_target` keeps key-value pairs for the tool in one of its own
 * frames, reached by postMessage. Where the browser blocks the tool's cookies in the platform's
 * iframe, the login's state is kept there instead, and the launch reads it back from there.
 *
 * The login page puts the state under `key`, then goes on to the platform's authorization endpoint.
 * The launch page gets it back: only the tool's own page, in the browser that began the login, can
 * read that frame, so only then does it post the launch again, marked as checked. The mark counts only
 * on a same-origin post (`isStorageCheckedPost`): a cross-site form cannot send it, so a launch made
 * in another browser (login CSRF) cannot borrow this one.
 */

/** The form field of the launch's second post, once the tool's page has read the state back. */
export const STORAGE_CHECKED_FIELD = "platform_storage";
const CHECKED = "checked";
/** How long the page waits for the platform's frame to answer before it gives up on it. */
const PLATFORM_ANSWER_MS = 5000;

/** `lti_storage_target` names a frame: `_parent`, or a frame of the parent window by its name. */
export const STORAGE_TARGET_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;

interface StorageFrame {
  /** The frame's name (`lti_storage_target`). */
  target: string;
  /** The origin the platform's frame answers from: its OIDC authorization endpoint's, as the spec says. */
  platformOrigin: string;
  /** Origins that may frame the page. */
  frameAncestors: readonly string[];
}

/** The platform's storage frame of a login, and who may frame the pages that speak to it. */
export function storageFrame(
  target: string,
  platform: { issuer: string; authUrl: string },
  configuredAncestors: readonly string[],
): StorageFrame {
  return {
    target,
    platformOrigin: new URL(platform.authUrl).origin,
    frameAncestors: platformFrameAncestors(platform, configuredAncestors),
  };
}

const WORDS: Record<Language, { opening: string; refused: string; noAnswer: string; next: string }> = {
  es: {
    opening: "Abriendo la actividad…",
    refused: "No pudimos confirmar que este navegador empezó a abrir la actividad.",
    noAnswer: "Tu plataforma no respondió a tiempo.",
    next: "Vuelve a la página del curso en tu plataforma y ábrela otra vez.",
  },
  en: {
    opening: "Opening the activity…",
    refused: "We could not confirm that this browser began opening the activity.",
    noAnswer: "Your platform did not answer in time.",
    next: "Go back to the course page on your platform and open it again.",
  },
};

/**
 * The script both pages run: ask the platform's frame, and act on its answer only when it comes from
 * the platform's origin and answers this message. `then` is the body of a function of the answer.
 */
function askPlatform(frame: StorageFrame, message: Record<string, string>, then: string, onSilence: string): string {
  const constants = {
    target: frame.target,
    origin: frame.platformOrigin,
    message,
    waitMs: PLATFORM_ANSWER_MS,
  };
  // JSON inside a script element: "<" is escaped so no value can close the element.
  const data = JSON.stringify(constants).replaceAll("<", "\\u003c");
  return `(() => {
  const c = ${data};
  const id = crypto.randomUUID();
  const frame = c.target === "_parent" ? window.parent : window.parent.frames[c.target];
  const silence = setTimeout(() => { ${onSilence} }, c.waitMs);
  window.addEventListener("message", (event) => {
    const answer = event.data;
    if (event.origin !== c.origin || typeof answer !== "object" || answer === null) return;
    if (answer.subject !== c.message.subject + ".response" || answer.message_id !== id) return;
    clearTimeout(silence);
    ((answer) => { ${then} })(answer);
  });
  if (frame) frame.postMessage({ ...c.message, message_id: id }, c.origin);
})();`;
}

/**
 * The login's answer when the platform offers its storage: puts the state there, then goes on to the
 * platform's authorization endpoint. If the platform's frame refuses or does not answer, the login
 * starts again with a cookie instead (`cookieLoginUrl`), which a browser that keeps the tool's
 * partitioned cookies still honours.
 */
export function storeStatePage(
  reply: FastifyReply,
  language: Language,
  frame: StorageFrame,
  stored: { key: string; state: string; redirectTo: string; cookieLoginUrl: string },
) {
  const words = WORDS[language];
  const go = JSON.stringify({ on: stored.redirectTo, back: stored.cookieLoginUrl }).replaceAll("<", "\\u003c");
  const script = askPlatform(
    frame,
    { subject: "lti.put_data", key: stored.key, value: stored.state },
    `const go = ${go}; window.location.replace(answer.error ? go.back : go.on);`,
    `window.location.replace(${JSON.stringify(stored.cookieLoginUrl).replaceAll("<", "\\u003c")});`,
  );
  return sendFramablePage(reply, {
    language,
    title: words.opening,
    body: `<p role="status">${escapeHtml(words.opening)}</p>\n<script>${script}</script>`,
    frameAncestors: frame.frameAncestors,
    scripts: [script],
  });
}

/**
 * The launch's answer when the state lives in the platform's storage: reads it back and, when it is
 * this launch's, posts the launch again to the tool, marked as checked. Otherwise it says what to do.
 */
export function checkStatePage(
  reply: FastifyReply,
  language: Language,
  frame: StorageFrame,
  launch: { key: string; state: string; idToken: string; launchPath: string },
) {
  const words = WORDS[language];
  const show = (text: string) =>
    `document.getElementById("status").textContent = ${JSON.stringify(`${text} ${words.next}`)};`;
  const script = askPlatform(
    frame,
    { subject: "lti.get_data", key: launch.key },
    `if (!answer.error && answer.value === ${JSON.stringify(launch.state)}) document.getElementById("launch").submit(); else { ${show(words.refused)} }`,
    show(words.noAnswer),
  );
  const field = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  const body =
    `<p id="status" role="status">${escapeHtml(words.opening)}</p>\n` +
    `<form id="launch" method="post" action="${escapeHtml(launch.launchPath)}">` +
    field("id_token", launch.idToken) +
    field("state", launch.state) +
    field(STORAGE_CHECKED_FIELD, CHECKED) +
    "</form>\n" +
    `<script>${script}</script>`;
  return sendFramablePage(reply, {
    language,
    title: words.opening,
    body,
    frameAncestors: frame.frameAncestors,
    scripts: [script],
  });
}

/**
 * The launch's second post, made by the tool's own page after it read the state back from the
 * platform's storage. Fetch Metadata says who made it: a browser sends `Sec-Fetch-Site: same-origin`
 * only for the tool's own page, and no page can set that header.
 */
export function isStorageCheckedPost(request: FastifyRequest, field: string | undefined): boolean {
  return field === CHECKED && request.headers["sec-fetch-site"] === "same-origin";
}
