// Baseline for the lesson benchmark: the least a Fastify server can do to answer the same bytes.
// Same runtime, loader (tsx) and logger level as the service; no plugins, no validation, no ETag.
import { readFile } from "node:fs/promises";
import Fastify from "fastify";

const file = process.env.BENCH_BODY_FILE;
if (!file) throw new Error("BENCH_BODY_FILE is required");
const body = await readFile(file);

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? "info" } });
app.get("/lesson", (_request, reply) => {
  reply.type("application/json; charset=utf-8").send(body);
});
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });
