import cors from "@fastify/cors";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";

/** CORS for browser frontends, only for the origins in CORS_ORIGINS; none configured: no CORS headers. */
export const corsPlugin = fp(
  async (app: FastifyInstance, options: { origins: string[] }) => {
    if (options.origins.length === 0) return;
    await app.register(cors, {
      origin: options.origins.map((origin) => new URL(origin).origin),
      methods: ["GET", "POST", "PUT", "DELETE"],
      allowedHeaders: ["Authorization", "Content-Type", "Accept-Language", "Idempotency-Key"],
      exposedHeaders: ["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Location"],
      maxAge: 600,
    });
  },
  { name: "cors" },
);
