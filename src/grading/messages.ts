import { z } from "zod";
import type { Language, LocalizedText } from "../schemas/language.js";

/** The grader's own words, for what no exercise file can say in advance. */
export const GRADER_MESSAGES = {
  // Kept for grades stored before every container exercise had its own hint for a missing container.
  missingContainerHint: {
    es: "No hay ningún contenedor llamado {name}. Mira qué contenedores tienes, también los que ya terminaron, con `docker ps -a`; si no está, créalo como dicen las instrucciones, con `--name {name}`.",
    en: "There is no container named {name}. See which containers you have, stopped ones too, with `docker ps -a`; if it is not there, create it as the instructions say, with `--name {name}`.",
  },
  createdHint: {
    es: "{name} está creado pero nunca arrancó: `docker start {name}` lo arranca.",
    en: "{name} was created but never started: `docker start {name}` starts it.",
  },
  startFailedHint: {
    es: "Docker creó {name} pero no pudo arrancarlo: «{error}». Corrige la causa y arráncalo con `docker start {name}`.",
    en: "Docker created {name} but could not start it: “{error}”. Fix the cause, then start it with `docker start {name}`.",
  },
  pausedHint: {
    es: "{name} está en pausa: sus procesos están congelados. `docker unpause {name}` lo reanuda.",
    en: "{name} is paused: its processes are frozen. `docker unpause {name}` resumes it.",
  },
  restartingHint: {
    es: "{name} se está reiniciando: su proceso principal termina una y otra vez y su política de reinicio lo vuelve a arrancar. `docker logs {name}` muestra por qué.",
    en: "{name} is restarting: its main process keeps ending and its restart policy starts it again. `docker logs {name}` shows why.",
  },
  deadHint: {
    es: "{name} está muerto (dead): Docker no pudo detenerlo o borrarlo del todo. Bórralo con `docker rm -f {name}` y créalo de nuevo.",
    en: "{name} is dead: Docker could not fully stop or remove it. Remove it with `docker rm -f {name}` and create it again.",
  },
  removingHint: {
    es: "{name} se está borrando: espera a que desaparezca y créalo de nuevo.",
    en: "{name} is being removed: wait until it is gone and create it again.",
  },
  notCheckedWithoutContainer: {
    es: "No se pudo comprobar: no hay ningún contenedor llamado {name}.",
    en: "Not checked: there is no container named {name}.",
  },
  noContainer: { es: "ningún contenedor", en: "no container" },
  // Kept for stored grades: a response shows the right options' own text (localize-grade.ts).
  rightAnswer: { es: "la respuesta correcta", en: "the right answer" },
  noAnswer: { es: "sin respuesta", en: "no answer" },
  none: { es: "ninguno", en: "none" },
  // Kept for grades stored before `containerIs` said the state itself.
  notRunning: { es: "el contenedor no está en ejecución", en: "the container is not running" },
  containerIs: { es: "el contenedor está {state}", en: "the container is {state}" },
  notExitedYet: { es: "{state}: aún no ha terminado", en: "{state}: it has not exited yet" },
  noExitCodeYet: {
    es: "{name} aún no tiene código de salida: está {state}, así que no ha terminado.",
    en: "{name} has no exit code yet: it is {state}, so it has not ended.",
  },
  namedNotSet: { es: "{name} sin definir", en: "{name} not set" },
  namedSet: { es: "{name} definida", en: "{name} set" },
  namedDifferentValue: { es: "{name}=<otro valor>", en: "{name}=<a different value>" },
  timedOut: { es: "no terminó a tiempo", en: "did not finish in time" },
  execStoppedAtDeadline: {
    es: "no terminó en {seconds} s, y se detuvo",
    en: "did not finish within {seconds} s, so it was stopped",
  },
  found: { es: "encontrado", en: "found" },
  notFound: { es: "no aparece", en: "not found" },
  notFoundLastLine: { es: 'no aparece ("{line}")', en: 'not found ("{line}")' },
  restarted: { es: "se reinició", en: "restarted" },
  restartedTimes: { es: "se ha reiniciado {count} veces", en: "restarted {count} times" },
  oomKilled: {
    es: "el kernel mató su proceso por falta de memoria",
    en: "the kernel killed its process for lack of memory",
  },
  upFor: { es: "en ejecución desde hace {ms} ms", en: "running for {ms} ms" },
  engineClockUnreadable: { es: "no se pudo leer el reloj del motor", en: "the engine's clock could not be read" },
  imageTagged: { es: "{image} (etiquetas: {tags})", en: "{image} (tags: {tags})" },
  imageSameAs: { es: "{image}, la misma imagen que {other}", en: "{image}, the same image as {other}" },
  imageGone: { es: "{image} (la imagen ya no existe)", en: "{image} (the image no longer exists)" },
  neverThroughRegistry: {
    es: "{image}, que nunca se subió a un registro ni se descargó de uno",
    en: "{image}, never pushed to nor pulled from a registry",
  },
  commandAdded: {
    es: "{argv}, añadido en docker run (la imagen dice {image})",
    en: "{argv}, added on docker run (the image says {image})",
  },
  portsNeverBound: {
    es: "{ports} pedidos, pero nunca publicados: el contenedor nunca arrancó",
    en: "{ports} requested, but never bound: the container never started",
  },
  gone: { es: "desapareció", en: "disappeared" },
  stillRunningExpected: {
    es: "en ejecución, y aún en ejecución tras {ms} ms",
    en: "running, and still running after {ms} ms",
  },
  noHealthcheck: { es: "sin health check", en: "no health check" },
  noLimit: { es: "sin límite", en: "no limit" },
  rootUser: { es: "root (ni USER ni --user dicen otro)", en: "root (neither USER nor --user says otherwise)" },
  anyUserButRoot: { es: "cualquier usuario menos root", en: "any user but root" },
  privileged: {
    es: "--privileged: tiene todas las capacidades y los dispositivos del host",
    en: "--privileged: it holds every capability and the host's devices",
  },
  privilegedAs: { es: "{user}, pero con --privileged", en: "{user}, but with --privileged" },
  neverStarted: { es: "nunca arrancó", en: "it never started" },
  startedAt: { es: "arrancó ({time})", en: "it started ({time})" },
  copiedIn: { es: "un docker cp hacia el contenedor", en: "a docker cp into the container" },
  copiedInTimes: { es: "{count} docker cp hacia el contenedor", en: "{count} docker cp into the container" },
  noCopyIn: {
    es: "ningún docker cp hacia el contenedor desde que se creó",
    en: "no docker cp into the container since it was created",
  },
  removedByPrune: { es: "{names} borrados por un prune", en: "{names} removed by a prune" },
  notRemovedByPrune: { es: "no los borró un prune: {names}", en: "not removed by a prune: {names}" },
  eventLogForgotten: {
    es: "el motor ya no recuerda cómo se creó el contenedor (guarda solo sus 256 últimos eventos): repite el ejercicio desde el principio",
    en: "the engine no longer remembers the container's creation (it keeps only its newest 256 events): do the exercise again from the start",
  },
  eventLogUnread: {
    es: "no se pudo leer el registro de eventos del motor",
    en: "the engine's event log could not be read",
  },
  noRunAfterBase: { es: "sin RUN propio tras {base}", en: "no RUN of its own after {base}" },
  runAfterBase: { es: "ejecutó {step}", en: "ran {step}" },
  notBuiltOn: { es: "no se construyó sobre {base}", en: "not built on {base}" },
  pathExists: { es: "{path} existe", en: "{path} exists" },
  pathMissing: { es: "{path} no existe", en: "{path} does not exist" },
  execExpected: { es: "código {exitCode}", en: "exit {exitCode}" },
  execExpectedOutput: {
    es: 'código {exitCode}, con "{output}" en la salida',
    en: 'exit {exitCode}, output contains "{output}"',
  },
  execActual: { es: "código {exitCode}", en: "exit {exitCode}" },
  execActualOutput: { es: 'código {exitCode}, salida "{output}"', en: 'exit {exitCode}, output "{output}"' },
  notMounted: { es: "nada montado así", en: "nothing mounted that way" },
  mountedAnyway: { es: "montado: {mounts}", en: "mounted: {mounts}" },
  serviceState: { es: "el servicio {service}: {state}", en: "service {service}: {state}" },
  serviceStateHealth: { es: "el servicio {service}: {state}, {health}", en: "service {service}: {state}, {health}" },
  serviceWithoutHealthcheck: {
    es: "el servicio {service}: {state}, sin health check",
    en: "service {service}: {state}, no health check",
  },
  noServiceContainer: {
    es: "ningún contenedor del servicio {service} en el proyecto {project}",
    en: "no container for service {service} in project {project}",
  },
  notInComposeProject: {
    es: "el contenedor no pertenece a ningún proyecto de Compose",
    en: "the container belongs to no Compose project",
  },
  volumeReused: {
    es: "el volumen de {destination} ya lo usó otro contenedor antes",
    en: "the volume at {destination} was used by another container before",
  },
  noNamedVolumeAt: { es: "ningún volumen con nombre en {destination}", en: "no named volume at {destination}" },
  volumeFirstUse: {
    es: "{volume} se estrena con este contenedor: ningún otro lo montó antes",
    en: "{volume} is new with this container: no other container mounted it before",
  },
  volumeLogForgotten: {
    es: "el motor ya no recuerda quién montó {volume} (guarda solo sus 256 últimos eventos): repite el down y el up",
    en: "the engine no longer remembers who mounted {volume} (it keeps only its newest 256 events): do the down and up again",
  },
  historyStepMissing: { es: "no hay ningún paso {step}", en: "no {step} step" },
  historyStepAfter: { es: "no hay ningún paso {step} después de {previous}", en: "no {step} step after {previous}" },
} satisfies Record<string, LocalizedText>;

export type GraderMessage = keyof typeof GRADER_MESSAGES;

/** The grader's own hints: every state an exercise's hints need not foresee (a missing container they must). */
export const GRADER_HINTS = [
  "createdHint",
  "startFailedHint",
  "pausedHint",
  "restartingHint",
  "deadHint",
  "removingHint",
] as const satisfies readonly GraderMessage[];
export type GraderHint = (typeof GRADER_HINTS)[number];
// Object.keys loses the key type; these are exactly the keys of GRADER_MESSAGES, and it has at least one.
export const GraderMessageSchema = z.enum(Object.keys(GRADER_MESSAGES) as [GraderMessage, ...GraderMessage[]]);

/** Picks the language and fills {placeholders}; unknown ones stay as written so authors notice. */
export function localize(
  text: LocalizedText,
  language: Language,
  values: Record<string, string | number> = {},
): string {
  return text[language].replace(/\{(\w+)\}/g, (whole, key: string) =>
    Object.hasOwn(values, key) ? String(values[key]) : whole,
  );
}
