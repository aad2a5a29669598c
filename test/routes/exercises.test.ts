import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helper.js";

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t?.close();
});

describe("GET /v1/exercises", () => {
  it("lists every exercise in course order, in the negotiated language", async () => {
    const response = await request(t.app.server).get("/v1/exercises").set("accept-language", "en");
    expect(response.status).toBe(200);
    expect(response.headers["content-language"]).toBe("en");
    // Lesson by lesson, each lesson's exercises as it lists them: not the files' alphabetical order.
    const courseOrder = [...t.app.curriculum.lessons]
      .sort((a, b) => a.order - b.order)
      .flatMap((lesson) => lesson.exercises);
    expect(courseOrder.slice(0, 3)).toEqual([
      "hola-mundo",
      "preguntas-que-es-docker",
      "preguntas-docker-vs-maquina-virtual",
    ]);
    expect(response.body.items.map((e: { id: string }) => e.id)).toEqual(courseOrder);
    // A question exercise names no container; a container exercise reads as it always has, plus its kind.
    expect(response.body.items[1]).toEqual({
      id: "preguntas-que-es-docker",
      lesson: "que-es-docker",
      title: "Questions: what is Docker?",
      kind: "question",
      containerName: "",
      maxScore: 3,
    });
    expect(response.body.items).toContainEqual({
      id: "alpine-una-vez",
      lesson: "modo-interactivo",
      title: "Run alpine once",
      kind: "container",
      containerName: "alpine-una-vez",
      maxScore: 6,
    });
  });
});

describe("GET /v1/exercises/:id", () => {
  it("shows instructions and checks in Spanish by default, never the solution", async () => {
    const response = await request(t.app.server).get("/v1/exercises/example2-detenido-con-kill");
    expect(response.status).toBe(200);
    expect(response.headers["content-language"]).toBe("es");
    expect(response.body.title).toBe("Detén a example2 desde fuera con kill -9");
    expect(response.body.checks).toContainEqual({
      id: "codigo-sigkill",
      type: "exitCode",
      description: "Terminó con el código 137 (128 + SIGKILL)",
      points: 3,
    });
    // Its hints can be read one at a time before trying, each with when it applies.
    expect(response.body.hints[0]).toMatchObject({ when: { state: "running" } });
    expect(response.body.hints[0].text).toMatch(/^example2 sigue en ejecución/);
    const { hints: _readable, ...rest } = response.body;
    expect(JSON.stringify(rest)).not.toMatch(/solution|cleanup|accept|reject|docker rm -f|docker create/);
  });

  it("answers 404 problem+json for an unknown exercise", async () => {
    const response = await request(t.app.server).get("/v1/exercises/no-existe");
    expect(response.status).toBe(404);
    expect(response.headers["content-type"]).toContain("application/problem+json");
    expect(response.body.detail).toContain("no-existe");
  });
});

describe("POST /v1/exercises/:id/submissions", () => {
  it("answers 404 for an unknown exercise", async () => {
    const response = await request(t.app.server)
      .post("/v1/exercises/no-existe/submissions")
      .set("authorization", t.auth)
      .send({ learnerId: "ana" });
    expect(response.status).toBe(404);
  });

  it.each([
    ["empty", ""],
    ["a space", "ana maria"],
    ["a slash", "lms/ana"],
    ["256 characters", "a".repeat(256)],
  ])("rejects a learnerId with %s", async (_label, learnerId) => {
    const response = await request(t.app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("authorization", t.auth)
      .send({ learnerId });
    expect(response.status).toBe(400);
    expect(response.body.errors[0].path).toBe("body.learnerId");
  });

  it("rejects fields it does not know, such as a command to run", async () => {
    const response = await request(t.app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("authorization", t.auth)
      .send({ learnerId: "ana", command: ["rm", "-rf", "/"] });
    expect(response.status).toBe(400);
  });
});
