import type { FastifyReply } from "fastify";
import type { Language } from "../schemas/language.js";
import { escapeHtml } from "../web/html.js";
import { sendFramablePage } from "./framable-page.js";

/** One module of the picker: its lessons in course order, each followed by its exercises. */
export interface PickerModule {
  title: string;
  lessons: { title: string; choices: { id: string; label: string }[] }[];
}

const WORDS: Record<
  Language,
  {
    title: string;
    pickOne: string;
    pickSeveral: string;
    lesson: (title: string) => string;
    exercise: (title: string, points: number) => string;
    add: string;
    nothingTitle: string;
    nothing: (types: string) => string;
    noTypes: string;
    sendTitle: string;
    sendHint: string;
    send: string;
  }
> = {
  es: {
    title: "Elige qué añadir al curso",
    pickOne:
      "Elige una lección, que el alumnado leerá, o un ejercicio, que se califica y tiene su columna en el libro de calificaciones.",
    pickSeveral:
      "Elige las lecciones, que el alumnado leerá, y los ejercicios, que se califican y tienen su columna en el libro de calificaciones. Puedes marcar varios.",
    lesson: (title) => `Lección: ${title}`,
    exercise: (title, points) => `Ejercicio: ${title} (${points} ${points === 1 ? "punto" : "puntos"})`,
    add: "Añadir al curso",
    nothingTitle: "Aquí no hay nada que se pueda añadir",
    nothing: (types) =>
      `Tu plataforma pide contenido de un tipo que esta herramienta no ofrece (${types}). Sus lecciones y ejercicios son enlaces LTI (ltiResourceLink): añádelos desde una actividad o tarea de herramienta externa.`,
    noTypes: "ninguno",
    sendTitle: "Enviando tu elección al curso…",
    sendHint: "Si la página no cambia, pulsa el botón.",
    send: "Enviar al curso",
  },
  en: {
    title: "Choose what to add to the course",
    pickOne:
      "Choose a lesson, for learners to read, or an exercise, which is graded and gets its own gradebook column.",
    pickSeveral:
      "Choose the lessons, for learners to read, and the exercises, which are graded and get their own gradebook column. You can tick several.",
    lesson: (title) => `Lesson: ${title}`,
    exercise: (title, points) => `Exercise: ${title} (${points} ${points === 1 ? "point" : "points"})`,
    add: "Add to the course",
    nothingTitle: "Nothing here can be added",
    nothing: (types) =>
      `Your platform asks for content of a kind this tool does not offer (${types}). Its lessons and exercises are LTI links (ltiResourceLink): add them from an external tool activity or assignment.`,
    noTypes: "none",
    sendTitle: "Sending your choice to the course…",
    sendHint: "If the page does not change, press the button.",
    send: "Send to the course",
  },
};

export function lessonLabel(language: Language, title: string): string {
  return WORDS[language].lesson(title);
}

export function exerciseLabel(language: Language, title: string, points: number): string {
  return WORDS[language].exercise(title, points);
}

/**
 * The teacher's picker: the course by module, each lesson followed by its exercises, as radio buttons
 * (one choice) or checkboxes (several, when the platform accepts them). It posts the choice and the
 * signed deep-linking context to the tool, which signs the platform's response only then.
 */
export function pickerPage(
  reply: FastifyReply,
  page: {
    language: Language;
    multiple: boolean;
    modules: PickerModule[];
    context: string;
    postTo: string;
    frameAncestors: readonly string[];
  },
) {
  const words = WORDS[page.language];
  const input = page.multiple ? "checkbox" : "radio";
  // A radio group needs one choice before the form posts; checkboxes are checked at the tool.
  const required = page.multiple ? "" : " required";
  const modules = page.modules
    .map((module) => {
      const lessons = module.lessons
        .map((lesson) => {
          const choices = lesson.choices
            .map(
              (choice) =>
                `<li><label><input type="${input}" name="item" value="${escapeHtml(choice.id)}"${required}> ${escapeHtml(choice.label)}</label></li>`,
            )
            .join("\n");
          return `<h3>${escapeHtml(lesson.title)}</h3>\n<ul>\n${choices}\n</ul>`;
        })
        .join("\n");
      return `<fieldset>\n<legend>${escapeHtml(module.title)}</legend>\n${lessons}\n</fieldset>`;
    })
    .join("\n");
  const body =
    `<h1>${escapeHtml(words.title)}</h1>\n<p>${escapeHtml(page.multiple ? words.pickSeveral : words.pickOne)}</p>\n` +
    `<form method="post" action="${escapeHtml(page.postTo)}">\n` +
    `<input type="hidden" name="context" value="${escapeHtml(page.context)}">\n${modules}\n` +
    `<p><button type="submit">${escapeHtml(words.add)}</button></p>\n</form>`;
  return sendFramablePage(reply, {
    language: page.language,
    title: words.title,
    body,
    frameAncestors: page.frameAncestors,
  });
}

/** A platform that accepts no LTI resource link: nothing this tool offers can be placed there. */
export function nothingToPlacePage(
  reply: FastifyReply,
  page: { language: Language; acceptTypes: readonly string[]; frameAncestors: readonly string[] },
) {
  const words = WORDS[page.language];
  const types = page.acceptTypes.length > 0 ? page.acceptTypes.join(", ") : words.noTypes;
  const body = `<h1>${escapeHtml(words.nothingTitle)}</h1>\n<p>${escapeHtml(words.nothing(types))}</p>`;
  return sendFramablePage(reply, {
    language: page.language,
    title: words.nothingTitle,
    body,
    frameAncestors: page.frameAncestors,
  });
}

/** Posts the page's one form as soon as it loads: allowed by its hash in the page's CSP, nothing else. */
const SUBMIT_SCRIPT = 'document.getElementById("send").submit();';

/**
 * The signed response, posted to the platform's return URL: by the page's one script at once, or by
 * the teacher's button where scripts do not run.
 */
export function sendToPlatformPage(
  reply: FastifyReply,
  page: { language: Language; returnUrl: string; jwt: string; frameAncestors: readonly string[] },
) {
  const words = WORDS[page.language];
  const body =
    `<h1>${escapeHtml(words.sendTitle)}</h1>\n<p>${escapeHtml(words.sendHint)}</p>\n` +
    `<form id="send" method="post" action="${escapeHtml(page.returnUrl)}">` +
    `<input type="hidden" name="JWT" value="${escapeHtml(page.jwt)}">` +
    `<button type="submit">${escapeHtml(words.send)}</button></form>\n` +
    `<script>${SUBMIT_SCRIPT}</script>`;
  return sendFramablePage(reply, {
    language: page.language,
    title: words.sendTitle,
    body,
    frameAncestors: page.frameAncestors,
    formTargets: [page.returnUrl],
    scripts: [SUBMIT_SCRIPT],
  });
}
