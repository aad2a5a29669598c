import type { FastifyReply } from "fastify";
import { createLocalJWKSet, errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { classCsv } from "../classes/class-csv.js";
import {
  type ClassRef,
  type ClassRoster,
  type ClassSummary,
  readClassSummary,
  readWholeClass,
} from "../classes/class-report.js";
import type { Curriculum } from "../content/load-curriculum.js";
import type { Storage } from "../db/storage.js";
import type { OutboundPolicy } from "../delivery/outbound.js";
import { LtiLaunchRefused, NotFound } from "../errors/domain-errors.js";
import { type Language, LanguageSchema } from "../schemas/language.js";
import { escapeHtml } from "../web/html.js";
import { platformFrameAncestors, sendFramablePage } from "./framable-page.js";
import type { Launch } from "./launch.js";
import { readRoster } from "./names-roles.js";
import { currentSigningKey, TOOL_ALG, toolJwks } from "./tool-keys.js";

/** Where the class page's form asks for the CSV, on the tool's own origin. */
export const CLASS_EXPORT_PATH = "/lti/class/export";
/** How long a teacher may wait before downloading the CSV of the page they opened. */
const CLASS_TOKEN_TTL_SECONDS = 3600;
/** Its own JWT type and audience, so no other token the tool signs passes for one. */
const CLASS_TYP = "lti-class+jwt";
const CLASS_AUDIENCE = "aprendiendo-docker:lti-class";

const ClassTokenSchema = z.object({
  clientId: z.uuid(),
  platformId: z.uuid(),
  contextId: z.string(),
  language: LanguageSchema,
});

export const ClassExportFormSchema = z.object({
  class: z.string().min(1).max(10_000).describe("The class page's signed token, as the page holds it"),
});

interface ClassPageDeps {
  storage: Storage;
  secretsKey: Buffer | undefined;
  curriculum: Curriculum;
  frameAncestors: readonly string[];
  outbound: OutboundPolicy;
}

const WORDS = {
  es: {
    title: (course: string) => `Tu clase: ${course}`,
    learners: (count: number) =>
      count === 1 ? "1 estudiante ha abierto la actividad." : `${count} estudiantes han abierto la actividad.`,
    nothingPlaced: "Aún no hay ningún ejercicio colocado en este curso.",
    noLearners: "Aún no ha entrado ningún estudiante desde este curso.",
    roster: (total: number, launched: number) =>
      `Este curso tiene ${total === 1 ? "1 estudiante" : `${total} estudiantes`}; ${launched === 1 ? "1 ha abierto" : `${launched} han abierto`} la actividad.`,
    rosterPartial:
      "La lista de estudiantes de la plataforma es muy larga: se muestran sus primeras páginas y quienes han abierto la actividad.",
    rosterFailed:
      "No se pudo leer la lista de estudiantes de la plataforma: se muestra solo quién ha abierto la actividad.",
    exercisesCaption: "Cada ejercicio: quién lo ha aprobado y qué les cuesta más",
    exercise: "Ejercicio",
    passed: "Aprobado",
    attempted: "Intentado, sin aprobar",
    notStarted: "Sin empezar",
    medianAttempts: "Mediana de intentos hasta aprobar",
    medianTime: "Mediana de tiempo hasta aprobar",
    failingChecks: "Comprobaciones que más fallan",
    commonHint: "Pista más mostrada",
    failures: (failures: number, learners: number) =>
      `${failures} ${failures === 1 ? "vez" : "veces"}, ${learners} ${learners === 1 ? "estudiante" : "estudiantes"}`,
    shown: (times: number) => `${times} ${times === 1 ? "vez" : "veces"}`,
    none: "—",
    learnersCaption: "Cada estudiante en cada ejercicio: estado, mejor nota e intentos",
    learner: "Estudiante",
    cell: (status: string, best: number, max: number, attempts: number) =>
      `${status}: ${best}/${max}, ${attempts} ${attempts === 1 ? "intento" : "intentos"}`,
    download: "Descargar CSV",
    downloadHint: "Una fila por estudiante y ejercicio.",
  },
  en: {
    title: (course: string) => `Your class: ${course}`,
    learners: (count: number) =>
      count === 1 ? "1 learner has opened the activity." : `${count} learners have opened the activity.`,
    nothingPlaced: "No exercise has been placed in this course yet.",
    noLearners: "No learner has opened the tool from this course yet.",
    roster: (total: number, launched: number) =>
      `This course has ${total === 1 ? "1 learner" : `${total} learners`}; ${launched} ${launched === 1 ? "has" : "have"} opened the activity.`,
    rosterPartial:
      "The platform's roster is very long: its first pages are shown, and everyone who opened the activity.",
    rosterFailed: "The platform's roster could not be read: only those who opened the activity are shown.",
    exercisesCaption: "Each exercise: who passed it, and what they find hardest",
    exercise: "Exercise",
    passed: "Passed",
    attempted: "Attempted, not passed",
    notStarted: "Not started",
    medianAttempts: "Median attempts to pass",
    medianTime: "Median time to pass",
    failingChecks: "Checks that fail most",
    commonHint: "Hint shown most",
    failures: (failures: number, learners: number) =>
      `${failures} ${failures === 1 ? "time" : "times"}, ${learners} ${learners === 1 ? "learner" : "learners"}`,
    shown: (times: number) => `${times} ${times === 1 ? "time" : "times"}`,
    none: "—",
    learnersCaption: "Each learner on each exercise: status, best score and attempts",
    learner: "Learner",
    cell: (status: string, best: number, max: number, attempts: number) =>
      `${status}: ${best}/${max}, ${attempts} ${attempts === 1 ? "attempt" : "attempts"}`,
    download: "Download CSV",
    downloadHint: "One row per learner and exercise.",
  },
} satisfies Record<Language, unknown>;

/**
 * A teacher's launch: the class of the course they launched from, in their language, framable by
 * their platform, with no script. It makes no learner and mints no session: the page carries a
 * token the tool signs for itself, which its one form posts back for the CSV.
 */
export async function openClassPage(
  reply: FastifyReply,
  deps: ClassPageDeps,
  launch: Launch & { teaching: true },
  language: Language,
) {
  if (launch.contextId === undefined) {
    throw new LtiLaunchRefused(
      "The launch was refused: a teacher's launch opens the class of its course, and this one names no course (context claim).",
    );
  }
  const ref = { clientId: launch.platform.clientId, platformId: launch.platform.id, contextId: launch.contextId };
  // The roster is read here, at the teacher's launch, and stored: the API and the CSV read the stored one.
  if (launch.membershipsUrl !== undefined) {
    await readRoster(
      {
        db: deps.storage.prisma,
        outbound: deps.outbound,
        toolKey: () => currentSigningKey(deps.storage, deps.secretsKey),
        log: reply.log,
      },
      { platform: launch.platform, contextId: launch.contextId, membershipsUrl: launch.membershipsUrl },
    );
  }
  // A course with no placement and no learner yet is no class to the API (404); its teacher gets an empty page.
  const summary = await readClassSummary(deps.storage, deps.curriculum, ref, language).catch((error: unknown) => {
    if (error instanceof NotFound) return undefined;
    throw error;
  });
  const whole = summary ? await readWholeClass(deps.storage, deps.curriculum, ref) : undefined;
  const words = WORDS[language];
  const title = words.title(launch.contextTitle ?? launch.contextId);
  const body = [
    `<style>${PAGE_STYLE}</style>`,
    `<main>`,
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>${escapeHtml(classSize(summary, whole, language))}</p>`,
    rosterNotice(summary?.roster ?? null, language),
    summary && summary.exercises.length > 0
      ? exercisesTable(summary, language)
      : `<p>${escapeHtml(words.nothingPlaced)}</p>`,
    whole && whole.learners.length > 0 && whole.exercises.length > 0 ? learnersTable(whole, language) : "",
    summary ? downloadForm(await signClassToken(deps, { ...ref, language }), language) : "",
    `</main>`,
  ].join("\n");
  return sendFramablePage(reply, {
    language,
    title,
    body,
    frameAncestors: platformFrameAncestors(launch.platform, deps.frameAncestors),
  });
}

/** How many learners the class has, and how many of them launched, as far as the tool knows. */
function classSize(
  summary: ClassSummary | undefined,
  whole: Awaited<ReturnType<typeof readWholeClass>> | undefined,
  language: Language,
): string {
  const words = WORDS[language];
  if (!summary || !whole || summary.learners === 0) return words.noLearners;
  const launched = whole.learners.filter((learner) => learner.firstLaunchedAt !== null).length;
  if (summary.roster?.status === "read" || summary.roster?.status === "partial") {
    return words.roster(summary.learners, launched);
  }
  return launched > 0 ? words.learners(launched) : words.noLearners;
}

/** What the teacher should know about the roster when the class is not the platform's whole list. */
function rosterNotice(roster: ClassRoster, language: Language): string {
  const words = WORDS[language];
  if (roster?.status === "failed") return `<p role="status">${escapeHtml(words.rosterFailed)}</p>`;
  if (roster?.status === "partial") return `<p role="status">${escapeHtml(words.rosterPartial)}</p>`;
  return "";
}

/** The CSV download: a form, so the token travels in a POST body, never in an address a log keeps. */
function downloadForm(token: string, language: Language): string {
  const words = WORDS[language];
  return [
    `<form method="post" action="${CLASS_EXPORT_PATH}">`,
    `<input type="hidden" name="class" value="${escapeHtml(token)}">`,
    `<p><button type="submit">${escapeHtml(words.download)}</button> ${escapeHtml(words.downloadHint)}</p>`,
    `</form>`,
  ].join("\n");
}

function exercisesTable(summary: ClassSummary, language: Language): string {
  const words = WORDS[language];
  const header = [
    words.exercise,
    words.passed,
    words.attempted,
    words.notStarted,
    words.medianAttempts,
    words.medianTime,
    words.failingChecks,
    words.commonHint,
  ];
  const rows = summary.exercises.map((exercise) => {
    const checks = exercise.failingChecks.length
      ? `<ul>${exercise.failingChecks.map((check) => `<li>${escapeHtml(check.description)} (${escapeHtml(words.failures(check.failures, check.learners))})</li>`).join("")}</ul>`
      : escapeHtml(words.none);
    const hint = exercise.commonHint
      ? `${escapeHtml(exercise.commonHint.text)} (${escapeHtml(words.shown(exercise.commonHint.shown))})`
      : escapeHtml(words.none);
    return (
      `<tr><th scope="row">${escapeHtml(exercise.title)}</th>` +
      [
        exercise.learners.passed,
        exercise.learners.attempted,
        exercise.learners.notStarted,
        exercise.medianAttemptsToPass ?? words.none,
        exercise.medianSecondsToPass === null ? words.none : duration(exercise.medianSecondsToPass),
      ]
        .map((value) => `<td>${escapeHtml(String(value))}</td>`)
        .join("") +
      `<td>${checks}</td><td>${hint}</td></tr>`
    );
  });
  return table(words.exercisesCaption, header, rows);
}

function learnersTable(whole: Awaited<ReturnType<typeof readWholeClass>>, language: Language): string {
  const words = WORDS[language];
  const statusWords = { "not-started": words.notStarted, attempted: words.attempted, passed: words.passed };
  const header = [words.learner, ...whole.exercises.map((exercise) => exercise.title[language])];
  // A teacher looks a learner up by name: the platform's, else the only name the tool has, the sub.
  const collator = new Intl.Collator(language);
  const named = whole.learners
    .map((learner) => ({ ...learner, shownAs: learner.name ?? learner.sub }))
    .sort((a, b) => collator.compare(a.shownAs, b.shownAs) || a.sub.localeCompare(b.sub));
  const rows = named.map(
    (learner) =>
      `<tr><th scope="row">${escapeHtml(learner.shownAs)}</th>` +
      learner.exercises
        .map(
          (cell) =>
            `<td>${escapeHtml(words.cell(statusWords[cell.status], cell.bestScore, cell.maxScore, cell.attempts))}</td>`,
        )
        .join("") +
      "</tr>",
  );
  return table(words.learnersCaption, header, rows);
}

/**
 * Readable in a platform's iframe and on a phone: a wide table scrolls sideways inside its own region,
 * which the keyboard can reach (tabindex), never the page.
 */
const PAGE_STYLE = [
  "body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:1rem;color:#1b1b1b;background:#fff}",
  "main{max-width:72rem;margin:0 auto}",
  "h1{font-size:1.5rem;line-height:1.25;margin:0 0 .75rem}",
  ".table{overflow-x:auto;margin:1.25rem 0}",
  "table{border-collapse:collapse;min-width:100%}",
  "caption{text-align:start;font-weight:600;padding:0 0 .5rem}",
  "th,td{border:1px solid #b8b8b8;padding:.375rem .5rem;text-align:start;vertical-align:top}",
  "thead th{background:#eef0f3}",
  "td ul{margin:0;padding-inline-start:1.1rem}",
  "button{font:inherit;padding:.375rem .875rem}",
].join("");

function table(caption: string, header: readonly string[], rows: readonly string[]): string {
  return (
    `<div class="table" role="region" aria-label="${escapeHtml(caption)}" tabindex="0">\n` +
    `<table>\n<caption>${escapeHtml(caption)}</caption>\n<thead><tr>${header.map((cell) => `<th scope="col">${escapeHtml(cell)}</th>`).join("")}</tr></thead>\n` +
    `<tbody>\n${rows.join("\n")}\n</tbody>\n</table>\n</div>`
  );
}

/** Seconds as a teacher reads them: 45 s, 12 min, 3 h 5 min. */
function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** The CSV of the class whose page the teacher opened: the token says which, and that the tool made the page. */
export async function exportClassCsv(
  reply: FastifyReply,
  deps: Pick<ClassPageDeps, "storage" | "curriculum">,
  form: z.infer<typeof ClassExportFormSchema>,
) {
  const token = await verifyClassToken(deps.storage, form.class);
  const { learners } = await readWholeClass(deps.storage, deps.curriculum, token);
  return sendClassCsv(reply, token.contextId, classCsv(learners));
}

/** A CSV attachment named after the course, never cached: it holds learners' grades. */
export function sendClassCsv(reply: FastifyReply, contextId: string, csv: string) {
  const name = `class-${contextId.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 100)}.csv`;
  return reply
    .header("cache-control", "no-store")
    .header("content-disposition", `attachment; filename="${name}"`)
    .type("text/csv; charset=utf-8")
    .send(csv);
}

async function signClassToken(
  deps: Pick<ClassPageDeps, "storage" | "secretsKey">,
  claims: z.infer<typeof ClassTokenSchema>,
): Promise<string> {
  const { kid, key } = await currentSigningKey(deps.storage, deps.secretsKey);
  const issuedAt = Math.floor(Date.now() / 1000);
  return new SignJWT({ class: claims })
    .setProtectedHeader({ alg: TOOL_ALG, kid, typ: CLASS_TYP })
    .setIssuer(CLASS_AUDIENCE)
    .setAudience(CLASS_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + CLASS_TOKEN_TTL_SECONDS)
    .sign(key);
}

async function verifyClassToken(storage: Storage, token: string): Promise<ClassRef> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(await toolJwks(storage)), {
      issuer: CLASS_AUDIENCE,
      audience: CLASS_AUDIENCE,
      typ: CLASS_TYP,
      algorithms: [TOOL_ALG],
      requiredClaims: ["exp", "iat"],
    });
    return ClassTokenSchema.parse(payload.class);
  } catch (error) {
    const why = error instanceof joseErrors.JWTExpired ? "it has expired" : "it does not verify";
    throw new LtiLaunchRefused(`The class export was refused: its token ${why}. Open the class again from the course.`);
  }
}
