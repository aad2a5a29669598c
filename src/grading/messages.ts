import type { Language, LocalizedText } from "../i18n/language.js";

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
  notSet: { es: "sin definir", en: "not set" },
  set: { es: "definida", en: "set" },
  differentValue: { es: "otro valor", en: "a different value" },
  timedOut: { es: "no terminó a tiempo", en: "did not finish in time" },
  found: { es: "encontrado", en: "found" },
  notFound: { es: "no aparece", en: "not found" },
  restarted: { es: "se reinició", en: "restarted" },
  gone: { es: "desapareció", en: "disappeared" },
} satisfies Record<string, LocalizedText>;

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
