import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "../helper.js";

let t: TestApp;
const api = () => request(t.app.server);
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t.close();
});

describe("GET /v1/lessons", () => {
  it("lists the course in order, grouped by module, in Spanish by default", async () => {
    const response = await api().get("/v1/lessons").expect(200);
    expect(response.headers["content-language"]).toBe("es");
    const lessons = response.body.modules.flatMap((module: { lessons: { order: number }[] }) => module.lessons);
    expect(lessons.length).toBe(response.body.lessonCount);
    expect(lessons.map((lesson: { order: number }) => lesson.order)).toEqual(
      [...lessons.map((lesson: { order: number }) => lesson.order)].sort((a, b) => a - b),
    );
    for (const lesson of lessons) expect(lesson.href).toBe(`/v1/lessons/${lesson.slug}`);
    expect(response.body.modules[0].title).toBe("Primeros pasos");
  });

  it("follows Accept-Language, and ?lang overrides it", async () => {
    const english = await api().get("/v1/lessons").set("accept-language", "en-GB,en;q=0.9,es;q=0.5").expect(200);
    expect(english.headers["content-language"]).toBe("en");
    expect(english.body.modules[0].title).toBe("First steps");

    const forced = await api().get("/v1/lessons?lang=es").set("accept-language", "en").expect(200);
    expect(forced.headers["content-language"]).toBe("es");

    const unknown = await api().get("/v1/lessons").set("accept-language", "fr-FR, de;q=0.8").expect(200);
    expect(unknown.headers["content-language"]).toBe("es");
  });

  it("answers a lang the course is not written in in Spanish, and says so", async () => {
    const french = await api().get("/v1/lessons?lang=fr").set("accept-language", "en").expect(200);
    expect(french.headers["content-language"]).toBe("es");
    expect(french.body.modules[0].title).toBe("Primeros pasos");
    const british = await api().get("/v1/lessons?lang=en-GB").expect(200);
    expect(british.headers["content-language"]).toBe("en");
  });
});

describe("GET /v1/lessons/{slug}", () => {
  it("returns render-ready blocks, the Markdown, commands, exercises and neighbours", async () => {
    const response = await api().get("/v1/lessons/modo-interactivo").expect(200);
    const lesson = response.body;
    expect(lesson).toMatchObject({ slug: "modo-interactivo", language: "es", title: "Modo interactivo" });
    expect(lesson.markdown).toContain("docker run -it alpine");
    const types = new Set(lesson.blocks.map((block: { type: string }) => block.type));
    expect(lesson.source).toBe("tutorial");
    const sources = new Set(lesson.blocks.map((block: { provenance: { source: string } }) => block.provenance.source));
    expect(sources).toEqual(new Set(["tutorial", "added", "corrected"]));
    expect(types).toContain("code");
    expect(types).toContain("paragraph");
    expect(lesson.commands.map((c: { slug: string }) => c.slug)).toContain("run");
    expect(lesson.exercises.map((e: { id: string }) => e.id)).toContain("alpine-una-vez");
    const outline = await api().get("/v1/lessons").expect(200);
    const inOrder = outline.body.modules.flatMap((module: { lessons: { slug: string }[] }) =>
      module.lessons.map((entry) => entry.slug),
    );
    const position = inOrder.indexOf("modo-interactivo");
    expect(lesson.previous.slug).toBe(inOrder[position - 1]);
    expect(lesson.next.slug).toBe(inOrder[position + 1]);
  });

  it("carries each exercise as GET /v1/exercises/{id} serves it, so a page needs no request per exercise", async () => {
    for (const language of ["es", "en"]) {
      const lesson = (await api().get(`/v1/lessons/ciclo-de-vida-de-un-contenedor?lang=${language}`).expect(200)).body;
      expect(lesson.exercises.length).toBeGreaterThan(0);
      for (const { href, ...exercise } of lesson.exercises) {
        const alone = await api().get(`${href}?lang=${language}`).expect(200);
        expect(exercise).toEqual(alone.body);
      }
    }
  });

  it("renders the seed's command table as a table block", async () => {
    const response = await api().get("/v1/lessons/comandos-basicos").expect(200);
    const table = response.body.blocks.find((block: { type: string }) => block.type === "table");
    const firstColumn = table.rows.map((row: { text: string }[][]) => row[0]?.map((inline) => inline.text).join(""));
    expect(firstColumn.join(" ")).toMatch(/ps.*inspect.*run.*rm.*prune.*exec/s);
  });

  it("serves the English translation", async () => {
    const response = await api().get("/v1/lessons/que-es-docker?lang=en").expect(200);
    expect(response.headers["content-language"]).toBe("en");
    expect(response.body.language).toBe("en");
    expect(response.body.markdown).toMatch(/container/i);
  });

  it("answers 304 to a matching If-None-Match, and caches per language", async () => {
    const first = await api().get("/v1/lessons/redes").expect(200);
    const etag = first.headers.etag;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers["cache-control"]).toMatch(/max-age=\d+/);
    expect(first.headers.vary).toMatch(/Accept-Language/i);

    const again = await api().get("/v1/lessons/redes").set("if-none-match", String(etag)).expect(304);
    expect(again.text).toBe("");
    expect(again.headers.etag).toBe(etag);

    const english = await api().get("/v1/lessons/redes?lang=en").set("if-none-match", String(etag)).expect(200);
    expect(english.headers.etag).not.toBe(etag);
  });

  it("answers an unknown slug with 404 problem+json", async () => {
    const response = await api().get("/v1/lessons/no-existe").expect(404);
    expect(response.headers["content-type"]).toMatch(/problem\+json/);
    expect(response.body.detail).toContain("no-existe");
  });
});

describe("GET /v1/commands", () => {
  it("lists every command, filtered by category and searched by text", async () => {
    const all = await api().get("/v1/commands").expect(200);
    expect(all.body.items.length).toBeGreaterThanOrEqual(8);

    const volumes = await api().get("/v1/commands?category=volume").expect(200);
    expect(volumes.body.items.length).toBeGreaterThan(0);
    expect(volumes.body.items.every((item: { category: string }) => item.category === "volume")).toBe(true);

    const prune = await api().get("/v1/commands?q=prune").expect(200);
    expect(prune.body.items.map((item: { slug: string }) => item.slug)).toContain("container-prune");
  });

  it("rejects an unknown category with the allowed values", async () => {
    const response = await api().get("/v1/commands?category=kubernetes").expect(400);
    expect(response.body.errors[0].path).toBe("querystring.category");
  });

  it("returns one command with options, examples, lessons and the official reference", async () => {
    const response = await api().get("/v1/commands/run?lang=en").expect(200);
    expect(response.body).toMatchObject({ slug: "run", command: "docker run", category: "container", language: "en" });
    expect(response.body.examples.length).toBeGreaterThanOrEqual(3);
    expect(response.body.options.map((o: { flag: string }) => o.flag).join(" ")).toMatch(/--name/);
    expect(response.body.lessons.map((l: { slug: string }) => l.slug)).toContain("modo-interactivo");
    expect(response.body.reference).toMatch(/^https:\/\/docs\.docker\.com\//);
    const cached = await api().get("/v1/commands/run?lang=en").set("if-none-match", String(response.headers.etag));
    expect(cached.status).toBe(304);
  });

  it("answers an unknown command with 404", async () => {
    await api().get("/v1/commands/teleport").expect(404);
  });
});

describe("GET /v1/search", () => {
  it.each(["contenedor", "container"])("finds the container lessons for %s", async (q) => {
    const response = await api().get(`/v1/search?q=${q}`).expect(200);
    const lessons = response.body.results
      .filter((r: { kind: string }) => r.kind === "lesson")
      .map((r: { slug: string }) => r.slug);
    expect(lessons).toContain("ciclo-de-vida-de-un-contenedor");
    expect(lessons).toContain("exponiendo-contenedores");
    const scores = response.body.results.map((r: { score: number }) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it("finds a command by name, with titles in the requested language", async () => {
    const response = await api().get("/v1/search?q=prune&lang=en").expect(200);
    expect(response.body.results.some((r: { slug: string }) => r.slug === "container-prune")).toBe(true);
    expect(response.headers["content-language"]).toBe("en");
  });

  it("requires q", async () => {
    const response = await api().get("/v1/search").expect(400);
    expect(response.body.errors[0].path).toBe("querystring.q");
  });
});

describe("GET /v1/diagrams/{name}", () => {
  it("serves the SVG with its content type and a long cache lifetime", async () => {
    const response = await api().get("/v1/diagrams/vm-vs-containers.svg").expect(200);
    expect(response.headers["content-type"]).toMatch(/^image\/svg\+xml/);
    expect(response.headers["cache-control"]).toMatch(/max-age=86400/);
    expect(response.body.toString()).toContain("<svg");
    await api()
      .get("/v1/diagrams/vm-vs-containers.svg")
      .set("if-none-match", String(response.headers.etag))
      .expect(304);
  });

  it("rejects names that are not diagram files", async () => {
    await api().get("/v1/diagrams/..%2Fpackage.json").expect(400);
    await api().get("/v1/diagrams/nope.svg").expect(404);
  });
});

describe("GET /lessons/{slug}, the learner's page of a lesson", () => {
  it("carries the lesson's title, so it is read at the first paint, in the language the page keeps", async () => {
    const spanish = await api().get("/lessons/ciclo-de-vida-de-un-contenedor").expect(200);
    expect(spanish.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(spanish.text).toContain('<html lang="es">');
    expect(spanish.text).toContain(">Ciclo de vida de un contenedor</h1>");
    expect(spanish.text).toContain("<title>Ciclo de vida de un contenedor · Aprendiendo Docker</title>");
    expect(spanish.headers.vary).toBe("accept-encoding, cookie");

    const english = await api().get("/lessons/ciclo-de-vida-de-un-contenedor").set("cookie", "lang=en").expect(200);
    expect(english.text).toContain('<html lang="en">');
    expect(english.text).toContain(">A container's life cycle</h1>");
    expect(english.headers.etag).not.toBe(spanish.headers.etag);
    await api()
      .get("/lessons/ciclo-de-vida-de-un-contenedor")
      .set("cookie", "lang=en")
      .set("if-none-match", String(english.headers.etag))
      .expect(304);
  });

  it("answers the plain page for a lesson that does not exist, whose script says so", async () => {
    const page = await api().get("/lessons/no-such-lesson").expect(200);
    expect(page.text).toContain('<p class="loading">Cargando…</p>');
    expect(page.text).not.toContain("<h1>");
  });
});
