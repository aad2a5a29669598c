import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { buildContentCatalog, type ContentCatalog } from "../content/catalog.js";
import { type Curriculum, loadCurriculum } from "../content/load-curriculum.js";

declare module "fastify" {
  interface FastifyInstance {
    curriculum: Curriculum;
    catalog: ContentCatalog;
  }
}

/** Loads, validates and serializes content/ once; invalid content stops start-up with every problem listed. */
export const contentPlugin = fp(
  async (app: FastifyInstance, options: { contentDir: string }) => {
    const started = performance.now();
    const curriculum = await loadCurriculum(options.contentDir);
    const catalog = buildContentCatalog(curriculum);
    app.decorate("curriculum", curriculum);
    app.decorate("catalog", catalog);
    app.log.info(
      {
        lessons: curriculum.lessons.length,
        commands: curriculum.commands.length,
        exercises: curriculum.exercises.size,
        diagrams: curriculum.diagrams.size,
        ms: Math.round(performance.now() - started),
      },
      "content loaded",
    );
  },
  { name: "content" },
);
