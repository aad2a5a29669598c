import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Question } from "../../src/grading/exercise.js";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";

/**
 * Question exercises, graded over HTTP on the real database like containers are, but without
 * the engine: this test's client holds no engine:shared grant, and no learner has a lab.
 */

let t: TestApp;
let auth: string;

beforeAll(async () => {
  t = await buildTestApp();
  auth = (await createTestClient(t.prisma, ["submissions:write", "progress:read"], "quiz LMS")).auth;
});
afterAll(async () => {
  await t?.close();
});

const submit = (exerciseId: string, body: Record<string, unknown>, lang = "es") =>
  request(t.app.server)
    .post(`/v1/exercises/${exerciseId}/submissions?lang=${lang}`)
    .set("authorization", auth)
    .send({ learnerId: "marta", ...body });

type CheckBody = { id: string; passed: boolean; points: number; feedback: string; expected: string; actual: string };
const checkOf = (body: { checks: CheckBody[] }, id: string) => body.checks.find((check) => check.id === id);

const questionExercises = () =>
  [...t.app.curriculum.exercises.values()].flatMap((exercise) => (exercise.kind === "question" ? [exercise] : []));

describe("a question exercise, graded through the submissions API", () => {
  it("single choice: the right option passes with its own feedback, another fails with its own", async () => {
    const right = await submit("preguntas-comandos-basicos", { answers: { "dentro-de-uno-en-marcha": "exec" } }, "en");
    expect(right.status, JSON.stringify(right.body)).toBe(201);
    expect(checkOf(right.body, "dentro-de-uno-en-marcha")).toMatchObject({
      passed: true,
      points: 1,
      actual: "exec",
      expected: "the right answer",
      feedback: "Right! Yes: `exec` runs a command in a container that is already running.",
    });
    const wrong = await submit("preguntas-comandos-basicos", { answers: { "dentro-de-uno-en-marcha": "run" } }, "en");
    expect(checkOf(wrong.body, "dentro-de-uno-en-marcha")).toMatchObject({
      passed: false,
      points: 0,
      feedback: "Not quite. `run` creates a new container from an image; `prueba` is a container.",
    });
  });

  it("a failed answer shows the learner's choice and the right one as the options' own text, never their ids", async () => {
    const wrong = await submit("preguntas-comandos-basicos", { answers: { "dentro-de-uno-en-marcha": "run" } }, "en");
    expect(checkOf(wrong.body, "dentro-de-uno-en-marcha")).toMatchObject({
      answers: {
        given: ["`docker run prueba cat /etc/alpine-release`"],
        right: ["`docker exec prueba cat /etc/alpine-release`"],
      },
    });
    const unanswered = await submit("preguntas-comandos-basicos", { answers: {} });
    const order = checkOf(unanswered.body, "vida-de-prueba") as CheckBody & {
      answers: { given: string[]; right: string[] };
    };
    expect(order.answers.given).toEqual([]);
    expect(order.answers.right[0]).toMatch(/^`docker run /);
    expect(order.answers.right.join(" ")).not.toMatch(/\b(run|exec|rm), /);
    expect(checkOf(unanswered.body, "ver-los-detenidos")).toMatchObject({
      answers: { given: [], right: ["docker ps -a"] },
    });
  });

  it("multiple choice: exactly the right options, in any order; one missing or one extra fails", async () => {
    const question = "ciertas-de-los-contenedores";
    const answer = (ids: string[]) =>
      submit("preguntas-docker-vs-maquina-virtual", {
        answers: { "que-comparten": "nucleo-del-anfitrion", [question]: ids },
      });
    const right = await answer(["arrancan-en-segundos", "virtualizan-procesos"]);
    expect(right.status).toBe(201);
    expect(right.body).toMatchObject({ status: "passed", score: 3, maxScore: 3 });
    const missing = await answer(["virtualizan-procesos"]);
    expect(checkOf(missing.body, question)).toMatchObject({ passed: false, points: 0 });
    const extra = await answer(["virtualizan-procesos", "arrancan-en-segundos", "pesan-gigabytes"]);
    expect(extra.body).toMatchObject({ status: "failed", score: 1 });
    // Every option chosen says why it is right or wrong.
    expect(checkOf(extra.body, question)?.feedback).toContain("Falso: eso es lo típico de una máquina virtual");
  });

  it("put in order: only the right order passes", async () => {
    const right = await submit("preguntas-comandos-basicos", {
      answers: { "vida-de-prueba": ["run", "exec", "rm"] },
    });
    expect(checkOf(right.body, "vida-de-prueba")).toMatchObject({ passed: true, actual: "run, exec, rm" });
    const wrong = await submit("preguntas-comandos-basicos", {
      answers: { "vida-de-prueba": ["run", "rm", "exec"] },
    });
    expect(checkOf(wrong.body, "vida-de-prueba")).toMatchObject({ passed: false, points: 0 });
  });

  it("short answer: trimmed, case-folded, spaces collapsed, variants accepted; anything else fails", async () => {
    for (const typed of [
      "  Docker   PS -A ",
      "docker ps --all",
      "DOCKER CONTAINER LS -A",
      "docker container ps -a",
      "docker container list --all",
      "sudo docker ps -a",
    ]) {
      const response = await submit("preguntas-comandos-basicos", { answers: { "ver-los-detenidos": typed } });
      expect(checkOf(response.body, "ver-los-detenidos"), typed).toMatchObject({ passed: true, actual: typed.trim() });
    }
    const wrong = await submit("preguntas-comandos-basicos", { answers: { "ver-los-detenidos": "docker ps" } }, "en");
    expect(checkOf(wrong.body, "ver-los-detenidos")).toMatchObject({
      passed: false,
      actual: "docker ps",
      feedback: "`docker ps` shows only running ones: it needs an option.",
    });
  });

  it("an unanswered question fails as unanswered; the grade is stored language-neutral, with the answers as evidence", async () => {
    const response = await submit("preguntas-comandos-basicos", { answers: {} });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ status: "failed", score: 0, maxScore: 3, containerName: "" });
    expect(checkOf(response.body, "ver-los-detenidos")).toMatchObject({ passed: false, actual: "sin respuesta" });
    const stored = await t.prisma.submission.findUniqueOrThrow({ where: { id: response.body.id } });
    expect(stored.checks).toContainEqual({
      id: "ver-los-detenidos",
      passed: false,
      points: 0,
      maxPoints: 1,
      expected: { say: "rightAnswer", with: {} },
      actual: { say: "noAnswer", with: {} },
    });
    // The evidence kept for audit is what the learner answered, as sent.
    const detail = await request(t.app.server)
      .get(`/v1/submissions/${response.body.id}`)
      .set("authorization", auth)
      .expect(200);
    expect(detail.body.evidence.checks).toMatchObject({ "ver-los-detenidos": { answer: null } });
  });
});

describe("an Idempotency-Key on answers", () => {
  it("replays the same answers and refuses other answers under the same key", async () => {
    const send = (answer: string) =>
      request(t.app.server)
        .post("/v1/exercises/preguntas-comandos-basicos/submissions")
        .set("authorization", auth)
        .set("idempotency-key", "marta-intento-1")
        .send({ learnerId: "marta", answers: { "dentro-de-uno-en-marcha": answer } });
    const first = await send("exec");
    expect(first.status).toBe(201);
    const again = await send("exec");
    expect(again.status).toBe(201);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.body.id).toBe(first.body.id);
    expect((await send("run")).status).toBe(422);
  });
});

describe("the answer key", () => {
  /** What a view must never carry: the right option ids, the accepted texts, and the feedback. */
  const secretsOf = (question: Question, language: "es" | "en") => {
    if (question.type === "short") return [question.answer, ...question.alsoAccept];
    if (question.type === "order") return [JSON.stringify(question.answer)];
    return question.options.map((option) => option.feedback[language]);
  };

  it("is never in GET /v1/exercises/{id}: the questions and their options are, unmarked", async () => {
    for (const exercise of questionExercises()) {
      for (const language of ["es", "en"] as const) {
        const response = await request(t.app.server).get(`/v1/exercises/${exercise.id}?lang=${language}`).expect(200);
        const body = JSON.stringify(response.body);
        expect(body).not.toMatch(/"(answer|alsoAccept|feedback|correct)"/);
        for (const question of exercise.questions) {
          for (const secret of secretsOf(question, language)) expect(body, exercise.id).not.toContain(secret);
          const view = response.body.questions.find((q: { id: string }) => q.id === question.id);
          expect(view).toMatchObject({ type: question.type, points: question.points });
          if (question.type === "order") {
            // Served as authored, which the schema keeps out of the right order.
            expect(view.items.map((item: { id: string }) => item.id)).not.toEqual(question.answer);
          }
        }
      }
    }
  });

  it("is never in the lesson JSON", async () => {
    for (const exercise of questionExercises()) {
      const response = await request(t.app.server).get(`/v1/lessons/${exercise.lesson}?lang=en`).expect(200);
      const body = JSON.stringify(response.body);
      expect(response.body.exercises.map((e: { id: string }) => e.id)).toContain(exercise.id);
      expect(body).not.toMatch(/"(answer|alsoAccept)"/);
      for (const question of exercise.questions) {
        if (question.type === "single" || question.type === "multiple") {
          for (const option of question.options) expect(body).not.toContain(option.feedback.en);
        }
      }
    }
  });
});

describe("a body of the wrong shape", () => {
  const problemPath = async (exerciseId: string, body: Record<string, unknown>) => {
    const response = await submit(exerciseId, body);
    expect(response.status, JSON.stringify(response.body)).toBe(400);
    expect(response.headers["content-type"]).toContain("application/problem+json");
    return response.body.errors[0].path;
  };

  it("is a 400 naming the field, and stores nothing", async () => {
    const before = await t.prisma.submission.count();
    expect(await problemPath("preguntas-comandos-basicos", { containerName: "prueba" })).toBe("body.containerName");
    expect(await problemPath("preguntas-comandos-basicos", {})).toBe("body.answers");
    expect(await problemPath("alpine-una-vez", { answers: { a: "b" } })).toBe("body.answers");
    expect(await problemPath("preguntas-comandos-basicos", { answers: { "vida-de-prueba": "run" } })).toBe(
      "body.answers.vida-de-prueba",
    );
    expect(await problemPath("preguntas-comandos-basicos", { answers: { "ver-los-detenidos": ["docker"] } })).toBe(
      "body.answers.ver-los-detenidos",
    );
    expect(await problemPath("preguntas-comandos-basicos", { answers: { "no-existe": "x" } })).toBe(
      "body.answers.no-existe",
    );
    expect(await t.prisma.submission.count()).toBe(before);
  });
});

describe("progress", () => {
  it("counts a passed question exercise, and passing every exercise of a lesson completes it", async () => {
    const passed = await request(t.app.server)
      .post("/v1/exercises/preguntas-que-es-docker/submissions")
      .set("authorization", auth)
      .send({
        learnerId: "nuria",
        answers: {
          "para-que-sirve": "en-mi-maquina-funciona",
          "tres-tareas": ["construccion", "distribucion", "ejecucion"],
          "comprobar-instalacion": "docker run hello-world",
        },
      });
    expect(passed.status, JSON.stringify(passed.body)).toBe(201);
    expect(passed.body).toMatchObject({ status: "passed", score: 3, maxScore: 3 });

    const progress = await request(t.app.server).get("/v1/learners/nuria/progress").set("authorization", auth);
    expect(progress.status).toBe(200);
    expect(progress.body.exercises).toContainEqual(
      expect.objectContaining({ exerciseId: "preguntas-que-es-docker", attempts: 1, bestScore: 3, passed: true }),
    );
    expect(progress.body.lessons).toContainEqual(
      expect.objectContaining({ lesson: "que-es-docker", exercises: 1, passed: 1, completed: true }),
    );
    expect(progress.body.overall.passed).toBe(1);
  });
});
