import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { createDatabaseClient, type Database } from "../../src/db/prisma.js";
import { isValidContainerName } from "../../src/docker/container-name.js";
import { createTestClient, createTestDatabase, type TestDatabase, testConfig } from "../helper.js";
import { expectCleanAnswer } from "./support/expectations.js";
import { type ObservedEngine, observeEngine } from "./support/observed-engine.js";

/**
 * Every operation in the OpenAPI document, fed path parameters, queries, headers and bodies
 * that are huge, deeply nested, wrongly typed or unicode: never a 5xx, every 4xx is
 * problem+json, and only names that pass Docker's name rule ever reach the engine.
 * The route list comes from the document, so a new route is fuzzed without editing this file.
 */
const RUNS_PER_OPERATION = 120;

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  bodyKeys: string[] | null;
}

let app: FastifyInstance;
let database: TestDatabase;
let prisma: Database;
let observed: ObservedEngine;
let adminAuth: string;
let operations: Operation[];
let knownIds: string[];
/** Real ids per collection, so a request gets past "not found" often enough to test what follows. */
let idsByCollection: Record<string, string[]>;

beforeAll(async () => {
  database = await createTestDatabase();
  const config = testConfig(database.url, { rateLimitPerMinute: 1_000_000, authFailuresPerMinute: 1_000_000 });
  observed = observeEngine(config.docker);
  app = await buildApp(config, { dockerEngine: observed.engine });
  await app.ready();
  prisma = createDatabaseClient(database.url);
  adminAuth = (await createTestClient(prisma, ["admin"], "fuzzer")).auth;
  operations = operationsOf(app.swagger() as OpenApiDocument);
  idsByCollection = {
    exercises: [...app.curriculum.exercises.keys()],
    lessons: [...app.catalog.lessons.keys()],
    commands: [...app.catalog.commands.keys()],
    diagrams: [...app.catalog.diagrams.keys()],
    containers: [...app.curriculum.exercises.values()].flatMap((exercise) =>
      exercise.kind === "container" ? [exercise.containerName] : [],
    ),
  };
  knownIds = Object.values(idsByCollection).flat();
});

afterAll(async () => {
  await app?.close();
  await prisma?.$disconnect();
  await database?.drop();
});

describe("fuzzing every route", () => {
  it("finds the routes to fuzz in the OpenAPI document", () => {
    const listed = operations.map((o) => `${o.method} ${o.path}`);
    expect(listed).toContain("GET /v1/lessons/{slug}");
    expect(listed).toContain("POST /v1/exercises/{id}/submissions");
    expect(listed).toContain("GET /v1/learners/{learnerId}/progress");
  });

  it("answers every input with 2xx, 3xx or a problem+json 4xx, never 5xx", { timeout: 240_000 }, async () => {
    for (const operation of operations) {
      await fc.assert(
        fc.asyncProperty(requestFor(operation), async (input) => {
          const response = await app.inject({
            method: operation.method as "GET",
            url: input.url,
            headers: input.headers,
            ...(input.payload === undefined ? {} : { payload: input.payload }),
          });
          expectCleanAnswer(
            { statusCode: response.statusCode, headers: response.headers, body: response.body },
            `${operation.method} ${input.url}`,
          );
        }),
        { numRuns: RUNS_PER_OPERATION },
      );
    }
  });

  it("grades any container name the engine may see, and refuses the rest before the engine", async () => {
    // Question exercises refuse every containerName: test/routes/questions.test.ts covers that.
    const exercises = [...app.curriculum.exercises.values()]
      .filter((exercise) => exercise.kind === "container")
      .map((exercise) => exercise.id);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...exercises),
        plausibleLearner,
        fc.oneof(anyString, fc.constantFrom(...(idsByCollection.containers ?? []))),
        async (exercise, learnerId, containerName) => {
          const response = await app.inject({
            method: "POST",
            url: `/v1/exercises/${exercise}/submissions`,
            headers: { authorization: adminAuth },
            payload: { learnerId, containerName },
          });
          expectCleanAnswer(
            { statusCode: response.statusCode, headers: response.headers, body: response.body },
            `${exercise} ${JSON.stringify(containerName)}`,
          );
          expect(response.statusCode, response.body).toBe(isValidContainerName(containerName) ? 201 : 400);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("lets only names that pass Docker's name rule reach the engine", () => {
    expect(observed.names.length, "the fuzzer should have graded some submissions").toBeGreaterThan(0);
    const invalid = observed.names.filter((name) => !isValidContainerName(name));
    expect(invalid).toEqual([]);
  });
});

// ---- what a request may look like ----

const weirdStrings = fc.constantFrom(
  "",
  " ",
  ".",
  "..",
  "../images",
  "../../containers/json",
  "a/../b",
  "%",
  "%00",
  "\u0000",
  "\u202e",
  "🐳",
  "contenedor",
  "null",
  "undefined",
  "true",
  "-1",
  "0",
  "1e309",
  "NaN",
  "__proto__",
  "constructor",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style probe, meant literally
  "${jndi:ldap://127.0.0.1/x}",
);

const anyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  weirdStrings,
  fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,40}$/),
  fc.string({ minLength: 129, maxLength: 4000 }),
  fc.integer().map(String),
);

/** Valid enough to get past the first check, so the later ones get exercised too. */
// "." and ".." match the characters but name path segments, so the API refuses them.
const plausibleLearner = fc.stringMatching(/^[A-Za-z0-9._:@-]{1,40}$/).filter((id) => id !== "." && id !== "..");

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  anyString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(anyString, { maxLength: 5 }),
  fc.jsonValue({ maxDepth: 3 }),
);

function bodyFor(keys: string[]): fc.Arbitrary<{ payload: string; contentType: string | undefined }> {
  const knownKeys = fc.record(Object.fromEntries(keys.map((key) => [key, anyValue])), { requiredKeys: [] });
  const plausible = fc.record(
    {
      learnerId: fc.oneof(plausibleLearner, anyString),
      containerName: fc.oneof(anyString, fc.constantFrom(...knownIds)),
      name: anyString,
      scopes: fc.array(fc.oneof(anyString, fc.constantFrom("admin", "content:read")), { maxLength: 3 }),
    },
    { requiredKeys: ["learnerId"] },
  );
  const json = fc
    .oneof(
      { weight: 3, arbitrary: plausible },
      { weight: 2, arbitrary: knownKeys },
      { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
      fc.dictionary(anyString, anyValue, { maxKeys: 20 }),
    )
    .map((value) => JSON.stringify(value) ?? "null");
  const nested = fc
    .integer({ min: 50, max: 20_000 })
    .chain((depth) =>
      fc.constantFrom(
        `${"[".repeat(depth)}${"]".repeat(depth)}`,
        `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`,
        `{"learnerId":${'{"x":'.repeat(depth)}1${"}".repeat(depth)}}`,
      ),
    );
  const huge = fc.integer({ min: 10_000, max: 200_000 }).map((n) => JSON.stringify({ learnerId: "a".repeat(n) }));
  const malformed = fc.oneof(anyString, fc.constantFrom("{", '{"learnerId":', "[1,2", "\u0000", "{'a':1}"));
  return fc.oneof(
    { weight: 6, arbitrary: json.map((payload) => ({ payload, contentType: "application/json" })) },
    { weight: 1, arbitrary: nested.map((payload) => ({ payload, contentType: "application/json" })) },
    { weight: 1, arbitrary: huge.map((payload) => ({ payload, contentType: "application/json" })) },
    { weight: 1, arbitrary: malformed.map((payload) => ({ payload, contentType: "application/json" })) },
    {
      weight: 1,
      arbitrary: fc.record({
        payload: json,
        contentType: fc.constantFrom(
          "text/plain",
          "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x",
          "application/json; charset=latin1",
          "application/xml",
          undefined,
        ),
      }),
    },
  );
}

function requestFor(operation: Operation) {
  const collection = Object.keys(idsByCollection).find((name) => operation.path.startsWith(`/v1/${name}/`));
  const known = (collection && idsByCollection[collection]) || knownIds;
  const pathValue = fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: anyString });
  const pathValues = fc.tuple(...operation.pathParams.map(() => pathValue));
  const queryKey = fc.oneof(
    { weight: 4, arbitrary: operation.queryParams.length ? fc.constantFrom(...operation.queryParams) : anyString },
    { weight: 1, arbitrary: anyString },
  );
  const query = fc.array(fc.tuple(queryKey, fc.oneof(anyString, fc.constantFrom("es", "en", "fr", "10", "-1"))), {
    maxLength: 6,
  });
  const headers = fc.record(
    {
      authorization: fc.oneof(
        { weight: 3, arbitrary: fc.constant(adminAuth) },
        { weight: 1, arbitrary: anyString.map((s) => `Bearer ${s}`) },
        { weight: 1, arbitrary: anyString },
      ),
      "accept-language": anyString,
      "if-none-match": fc.oneof(anyString, fc.constant("*")),
      "x-request-id": anyString,
      "idempotency-key": anyString,
    },
    { requiredKeys: [] },
  );
  const body = operation.bodyKeys ? bodyFor(operation.bodyKeys) : fc.constant(undefined);
  return fc.tuple(pathValues, query, headers, body).map(([values, pairs, headerValues, payload]) => {
    let url = operation.path;
    operation.pathParams.forEach((name, index) => {
      url = url.replace(`{${name}}`, percentEncode(values[index] ?? ""));
    });
    const search = pairs.map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`).join("&");
    const allHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(headerValues)) {
      // Node refuses header values with control characters or non-Latin-1 text before any request is made.
      if (typeof value === "string" && /^[\t\x20-\x7e\x80-\xff]*$/.test(value)) allHeaders[name] = value;
    }
    if (payload?.contentType) allHeaders["content-type"] = payload.contentType;
    return { url: search ? `${url}?${search}` : url, headers: allHeaders, payload: payload?.payload };
  });
}

/** Percent-encodes every byte outside RFC 3986's unreserved set; lone surrogates become U+FFFD. */
function percentEncode(value: string): string {
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

// ---- the routes, from the OpenAPI document ----

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}
interface OpenApiOperation {
  parameters?: { in: string; name: string }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}
interface JsonSchema {
  $ref?: string;
  properties?: Record<string, unknown>;
}

function operationsOf(document: OpenApiDocument): Operation[] {
  const resolve = (schema: JsonSchema | undefined): JsonSchema | undefined => {
    if (!schema?.$ref) return schema;
    return document.components?.schemas?.[schema.$ref.split("/").pop() ?? ""];
  };
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const parameters = operation.parameters ?? [];
      const body = operation.requestBody?.content?.["application/json"]?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === "path").map((p) => p.name),
        queryParams: parameters.filter((p) => p.in === "query").map((p) => p.name),
        bodyKeys: body ? Object.keys(resolve(body)?.properties ?? {}) : null,
      });
    }
  }
  // Routes the document hides, but a client can still call.
  operations.push(
    { method: "GET", path: "/openapi.json", pathParams: [], queryParams: [], bodyKeys: null },
    { method: "GET", path: "/docs/static/{file}", pathParams: ["file"], queryParams: [], bodyKeys: null },
    { method: "POST", path: "/v1/lessons/{slug}", pathParams: ["slug"], queryParams: [], bodyKeys: ["learnerId"] },
  );
  return operations;
}
