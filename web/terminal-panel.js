// @ts-check
// The lesson's terminal: a frame with the learner's sandbox (web/terminal.html), and beside each
// command of the lesson's terminal blocks a button that puts it into the terminal, to be run with Enter.
// It needs nothing from main.js: it watches <main> and adds itself to each lesson main.js renders.
import { api, currentSession } from "./api.js";

const es = {
  title: "Tu terminal",
  intro: "Un Docker solo tuyo en este servidor: lo que ejecutes aquí es lo que comprueba «Comprobar».",
  put: "Al terminal",
  putLabel: (/** @type {string} */ command) => `Poner en el terminal: ${command}`,
  frame: "Terminal de tu sandbox de Docker",
};
/** @type {typeof es} */
const en = {
  title: "Your terminal",
  intro: "A Docker of your own on this server: what you run here is what Check grades.",
  put: "To terminal",
  putLabel: (command) => `Put in the terminal: ${command}`,
  frame: "Terminal of your Docker sandbox",
};

/** @type {HTMLLinkElement | undefined} */
let stylesheet;

/**
 * Adds the terminal to a lesson's view when the learner is signed in and the server offers sandboxes
 * (GET /v1/session says which). Other views are left alone.
 * @param {Element} view
 * @param {string} lang
 */
async function mountTerminal(view, lang) {
  if (!view.querySelector("article.lesson")) return;
  const session = await currentSession().catch(() => null);
  if (!session?.sandboxes || !view.isConnected) return;
  const t = lang === "en" ? en : es;
  // Made now, while the page is read; over capacity or with the host down, the frame says so and offers to retry.
  await api(`/v1/learners/${encodeURIComponent(session.learnerId)}/sandbox`, { method: "PUT" }).catch(() => {});
  if (!stylesheet) {
    stylesheet = Object.assign(document.createElement("link"), { rel: "stylesheet", href: "/app/terminal-panel.css" });
    document.head.append(stylesheet);
  }
  const src = `/terminal?${new URLSearchParams({ learner: session.learnerId, lang })}`;
  const frame = Object.assign(document.createElement("iframe"), { src, title: t.frame, className: "terminal-frame" });
  const heading = Object.assign(document.createElement("h2"), { id: "terminal-title", textContent: t.title });
  const intro = Object.assign(document.createElement("p"), { textContent: t.intro });
  const section = Object.assign(document.createElement("section"), { className: "terminal-panel" });
  section.setAttribute("aria-labelledby", "terminal-title");
  section.append(heading, intro, frame);
  const article = view.querySelector("article") ?? view;
  article.insertBefore(section, article.querySelector(".exercises"));

  for (const command of view.querySelectorAll(".code.is-terminal .cmd")) {
    const text = command.textContent ?? "";
    const button = Object.assign(document.createElement("button"), {
      type: "button",
      className: "to-terminal",
      textContent: t.put,
      onclick: () => {
        // On screen, so the learner sees the command arrive (xterm.js draws only what is visible).
        frame.scrollIntoView({ block: "nearest" });
        frame.contentWindow?.postMessage({ type: "paste", text }, location.origin);
        frame.focus();
      },
    });
    button.setAttribute("aria-label", t.putLabel(text));
    command.after(" ", button);
  }
}

const main = document.getElementById("main");
if (!main) throw new Error("index.html has no <main id=main>");
const mounted = new WeakSet();
new MutationObserver(() => {
  const view = main.firstElementChild;
  if (!view || mounted.has(view)) return;
  mounted.add(view);
  mountTerminal(view, document.documentElement.lang).catch(() => {});
}).observe(main, { childList: true });
