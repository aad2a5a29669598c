// Baseline for the progress benchmark: the least a server can do for the same answer. Bare Fastify
// with a key lookup-free route that sends the service's own progress statement through a plain pg
// pool and answers the rows as JSON: no auth, no validation, no course-shaped answer.
import Fastify from "fastify";
import pg from "pg";
import { readProgressOf } from "../../src/progress/learner-progress.js";

const databaseUrl = process.env.DATABASE_URL;
const clientId = process.env.BENCH_CLIENT_ID;
if (!databaseUrl || !clientId) throw new Error("DATABASE_URL and BENCH_CLIENT_ID are required");
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? "info" } });
app.get<{ Params: { learner: string } }>("/progress/:learner", async (request, reply) => {
  const { rows } = await pool.query({
    name: readProgressOf.name,
    text: readProgressOf.text,
    values: [clientId, request.params.learner],
  });
  if (rows.length === 0) return reply.code(404).send({ status: 404 });
  return rows[0];
});
app.addHook("onClose", () => pool.end());
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });
