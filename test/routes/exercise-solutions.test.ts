import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Exercise } from "../../src/grading/exercise.js";
import { cleanUp, docker, runAsLearner, uniqueSuffix, withContainerName } from "../docker/learner-shell.js";
import { buildTestApp, type TestApp } from "../helper.js";
import { submitGraded } from "./submit-graded.js";

/**
 * Every exercise, on the real engine: its reference solution, typed as a learner would, earns
 * full marks; a typical mistake fails exactly the checks it should, with feedback that says why.
 * Container names get a unique suffix; the example2 exercises live in seed-steps.test.ts.
 */

let t: TestApp;
const created: { exercise: Exercise; name: string }[] = [];

beforeAll(async () => {
  t = await buildTestApp();
});
afterEach(async () => {
  for (const { exercise, name } of created.splice(0)) await cleanUp(exercise, name);
});
afterAll(async () => {
  await t?.close();
});

function exercise(id: string): Exercise {
  const found = t.app.curriculum.exercises.get(id);
  if (!found) throw new Error(`no exercise ${id}`);
  return found;
}

/** A unique container name for this test, removed (with what the solution made) afterwards. */
function target(id: string): { exercise: Exercise; name: string } {
  const entry = { exercise: exercise(id), name: `${exercise(id).containerName}-${uniqueSuffix()}` };
  created.push(entry);
  return entry;
}

function submit(exerciseId: string, containerName: string, language: "es" | "en" = "es") {
  return submitGraded(t, { exerciseId, containerName, learnerId: "learner-solutions", language });
}

async function solve(id: string): Promise<string> {
  const { exercise, name } = target(id);
  await runAsLearner(withContainerName(exercise.solution, exercise.containerName, name));
  return name;
}

function failedChecks(body: Awaited<ReturnType<typeof submit>>) {
  return body.checks.filter((c) => !c.passed).map((c) => c.id);
}

const SOLVED_BY_THEIR_SOLUTION = [
  "alpine-una-vez",
  "alpine-interactivo",
  "web-en-puerto-8080",
  "imagen-etiquetada",
  "volumen-de-datos",
  "red-definida",
  "imagen-desde-dockerfile",
];

describe("reference solutions earn full marks", () => {
  it.each(SOLVED_BY_THEIR_SOLUTION)("%s", async (id) => {
    const name = await solve(id);
    const body = await submit(id, name);
    expect(failedChecks(body)).toEqual([]);
    expect(body).toMatchObject({ status: "passed", hints: [] });
    expect(body.score).toBe(body.maxScore);
  });

  it("web-en-puerto-8080 really serves on 127.0.0.1:8080", async () => {
    await solve("web-en-puerto-8080");
    const page = await fetch("http://127.0.0.1:8080/");
    expect(await page.text()).toContain("Welcome to nginx!");
  });

  it("compose-servicio-web", async () => {
    const { exercise: compose, name } = target("compose-servicio-web");
    const composeAvailable = await docker(["compose", "version"]).then(
      () => true,
      () => false,
    );
    if (composeAvailable) {
      // Compose derives the container name from the folder; rename the folder's project accordingly.
      const project = name.replace(/-web-1$/, "");
      await runAsLearner(compose.solution.map((line) => line.replaceAll("tienda", project)));
      const body = await submit(compose.id, name);
      expect(failedChecks(body)).toEqual(["proyecto-tienda"]);
      return;
    }
    // No compose binary exists on our offline machines (no plugin package is reachable), so this
    // reproduces the container `docker compose up -d` leaves behind: same name scheme, image, port
    // and the two labels the checks read. It does not prove the solution's compose.yaml works.
    await docker([
      "run",
      "-d",
      "--name",
      name,
      "--label",
      "com.docker.compose.project=tienda",
      "--label",
      "com.docker.compose.service=web",
      "-p",
      "8081:80",
      "nginx",
    ]);
    const body = await submit(compose.id, name);
    expect(failedChecks(body)).toEqual([]);
    expect(body.score).toBe(body.maxScore);
  });
});

describe("typical mistakes fail the right checks, with the right feedback", () => {
  it("alpine-una-vez run with -dit keeps running", async () => {
    const { name } = target("alpine-una-vez");
    await docker(["run", "-dit", "--name", name, "alpine"]);
    const body = await submit("alpine-una-vez", name);
    expect(failedChecks(body)).toEqual(["terminado", "codigo-cero"]);
    expect(body.checks[2]?.feedback).toBe(
      "Tu contenedor está en estado running, no exited. ¿Le pasaste `-it` o `-d`? Aquí queremos `docker run` sin opciones.",
    );
    expect(body.hints[0]).toContain(`Tu contenedor ${name} sigue en ejecución`);
  });

  it("alpine-interactivo run without -it", async () => {
    const { name } = target("alpine-interactivo");
    await docker(["run", "--name", name, "alpine"]);
    const body = await submit("alpine-interactivo", name, "en");
    expect(failedChecks(body)).toEqual(["interactivo"]);
    expect(body.checks.find((c) => c.id === "interactivo")?.feedback).toMatch(
      /^The container was created with tty=false openStdin=false; with `-it` both would be true/,
    );
  });

  it("web-en-puerto-8080 without -p", async () => {
    const { name } = target("web-en-puerto-8080");
    await docker(["run", "-d", "--name", name, "nginx"]);
    const body = await submit("web-en-puerto-8080", name);
    expect(failedChecks(body)).toEqual(["puerto-8080"]);
    expect(body.checks.find((c) => c.id === "puerto-8080")?.feedback).toMatch(
      /^Puertos publicados: ninguno\. Esperábamos 0\.0\.0\.0:8080->80\/tcp/,
    );
  });

  it("imagen-etiquetada run from alpine instead of the tag", async () => {
    const { name } = target("imagen-etiquetada");
    await docker(["run", "--name", name, "alpine", "echo", "hola desde mi-alpine"]);
    const body = await submit("imagen-etiquetada", name);
    expect(failedChecks(body)).toEqual(["desde-tu-etiqueta"]);
    expect(body.checks[1]?.feedback).toBe(
      "El contenedor se creó desde docker.io/library/alpine:latest, no desde tu etiqueta docker.io/library/mi-alpine:1.0.",
    );
  });

  it("volumen-de-datos without a volume: the file is there but would be lost", async () => {
    const { name } = target("volumen-de-datos");
    await docker(["run", "-d", "--name", name, "alpine", "tail", "-f", "/dev/null"]);
    await docker(["exec", name, "sh", "-c", "mkdir -p /datos && echo hola > /datos/saludo.txt"]);
    const body = await submit("volumen-de-datos", name);
    expect(failedChecks(body)).toEqual(["volumen-montado"]);
    expect(body.checks[1]?.feedback).toMatch(
      /^Montajes del contenedor: ninguno\. Esperábamos volume datos-app:\/datos/,
    );
  });

  it("volumen-de-datos with the volume but no file", async () => {
    const { name } = target("volumen-de-datos");
    await docker(["run", "-d", "--name", name, "-v", "datos-app:/datos", "alpine", "tail", "-f", "/dev/null"]);
    const body = await submit("volumen-de-datos", name, "en");
    expect(failedChecks(body)).toEqual(["archivo-escrito"]);
    expect(body.checks[3]?.actual).toMatch(/^exit 1, output "cat: can't open '\/datos\/saludo.txt'/);
  });

  it("red-definida left on the default bridge", async () => {
    const { name } = target("red-definida");
    await docker(["run", "-d", "--name", name, "alpine", "tail", "-f", "/dev/null"]);
    const body = await submit("red-definida", name);
    expect(failedChecks(body)).toEqual(["en-mi-red"]);
    expect(body.checks[1]?.feedback).toBe("Tu contenedor está en las redes bridge, no en mi-red.");
    expect(body.hints[0]).toContain("docker network connect mi-red");
  });

  it("imagen-desde-dockerfile built without CMD", async () => {
    const { exercise: built, name } = target("imagen-desde-dockerfile");
    const withoutCmd = built.solution.map((line) => line.replace(/\\nCMD \[[^\]]*\]/, ""));
    expect(withoutCmd).not.toEqual(built.solution);
    await runAsLearner(withContainerName(withoutCmd, built.containerName, name));
    const body = await submit(built.id, name);
    expect(failedChecks(body)).toEqual(["cmd-de-la-imagen", "saludo-en-logs"]);
    expect(body.checks.find((c) => c.id === "cmd-de-la-imagen")?.actual).toBe('["/bin/sh"]');
  });

  it("compose-servicio-web started with plain docker run", async () => {
    const { name } = target("compose-servicio-web");
    await docker(["run", "-d", "--name", name, "-p", "8081:80", "nginx"]);
    const body = await submit("compose-servicio-web", name, "en");
    expect(failedChecks(body)).toEqual(["proyecto-tienda", "servicio-web"]);
    expect(body.checks[1]?.feedback).toMatch(/^We see com\.docker\.compose\.project not set; we expected/);
  });
});
