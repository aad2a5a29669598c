import { z } from "zod";
import type { Language, LocalizedText } from "../schemas/language.js";

/** The grader's own words, for what no exercise file can say in advance. */
export const GRADER_MESSAGES = {
  missingContainerHint: {
    es: "No hay ningún contenedor llamado {name}: ¿usaste `--name {name}`? `docker ps -a` también muestra los que ya se detuvieron.",
    en: "There is no container named {name}: did you pass `--name {name}`? `docker ps -a` lists stopped ones too.",
  },
  notCheckedWithoutContainer: {
    es: "No se pudo comprobar: no hay ningún contenedor llamado {name}.",
    en: "Not checked: there is no container named {name}.",
  },
  noContainer: { es: "ningún contenedor", en: "no container" },
  none: { es: "ninguno", en: "none" },
  notRunning: { es: "el contenedor no está en ejecución", en: "the container is not running" },
  notExitedYet: { es: "{state}: aún no ha terminado", en: "{state}: it has not exited yet" },
  namedNotSet: { es: "{name} sin definir", en: "{name} not set" },
  namedSet: { es: "{name} definida", en: "{name} set" },
  namedDifferentValue: { es: "{name}=<otro valor>", en: "{name}=<a different value>" },
  timedOut: { es: "no terminó a tiempo", en: "did not finish in time" },
  found: { es: "encontrado", en: "found" },
  notFound: { es: "no aparece", en: "not found" },
  notFoundLastLine: { es: 'no aparece ("{line}")', en: 'not found ("{line}")' },
  restarted: { es: "se reinició", en: "restarted" },
  gone: { es: "desapareció", en: "disappeared" },
  stillRunningExpected: {
    es: "en ejecución, y aún en ejecución tras {ms} ms",
    en: "running, and still running after {ms} ms",
  },
  execExpected: { es: "código {exitCode}", en: "exit {exitCode}" },
  execExpectedOutput: {
    es: 'código {exitCode}, con "{output}" en la salida',
    en: 'exit {exitCode}, output contains "{output}"',
  },
  execActual: { es: "código {exitCode}", en: "exit {exitCode}" },
  execActualOutput: { es: 'código {exitCode}, salida "{output}"', en: 'exit {exitCode}, output "{output}"' },
} satisfies Record<string, LocalizedText>;

export type GraderMessage = keyof typeof GRADER_MESSAGES;
export const GraderMessageSchema = z.enum(Object.keys(GRADER_MESSAGES) as [GraderMessage, ...GraderMessage[]]);

/** Picks the language and fills {placeholders}; unknown ones stay as written so authors notice. */
export function localize(
  text: LocalizedText,
  language: Language,
  values: Record<string, string | number> = {},
): string {
  return text[language].replace(/\{(\w+)\}/g, (whole, key: string) =>
    key in values ? String(values[key as keyof typeof values]) : whole,
  );
}
