import fastJson from "fast-json-stringify";
import type { FastifySerializerCompiler } from "fastify";
import { z } from "zod";

/**
 * For the hot routes: the response schema compiled once by fast-json-stringify (Fastify's own
 * serializer) from the zod schema's JSON Schema, instead of fastify-type-provider-zod's zod encode
 * and JSON.stringify on every response, which the profile put at 6 % of the service's CPU in the
 * benchmark, most of it on progress reads. It shapes the output but does not validate it, so use it
 * where the handler's return type is the schema's type (the zod type provider checks that at
 * compile time) and the data comes from our own code, not straight from storage.
 */
export const compiledSerializerCompiler: FastifySerializerCompiler<unknown> = ({ schema }) =>
  // Each response schema of a route is a zod schema (the zod type provider's contract).
  fastJson(z.toJSONSchema(schema as z.ZodType, { io: "output", target: "draft-7" }) as Parameters<typeof fastJson>[0]);
