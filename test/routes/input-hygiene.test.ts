import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, createTestClient, type TestApp } from "../helper.js";

/** Inputs an attacker found answering 500 or accepted: each is a 400 that names its field, and stores nothing. */
let t: TestApp;
let admin: string;
let adminId: string;
let webhookId: string;

beforeAll(async () => {
  t = await buildTestApp({ labEngineAllowlist: ["tcp://127.0.0.1:*"], secretsKey: Buffer.alloc(32, 7) });
  const adminClient = await createTestClient(t.prisma, ["admin"], "hygiene admin");
  admin = adminClient.auth;
  adminId = adminClient.id;
  await request(t.app.server)
    .post("/v1/exercises/alpine-una-vez/submissions")
    .set("authorization", admin)
    .send({ learnerId: "ana", containerName: "hygiene-no-such-container" })
    .expect(201);
  const webhook = await request(t.app.server)
    .post("/v1/webhooks")
    .set("authorization", admin)
    .send({ url: "http://127.0.0.1:9/hook", events: ["submission.graded"] })
    .expect(201);
  webhookId = webhook.body.id;
});
afterAll(() => t.close());

const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

function expectFieldProblem(response: request.Response, field: string) {
  expect(response.status, response.text).toBe(400);
  expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
  expect(response.body.errors.map((error: { path: string }) => error.path)).toContain(field);
}

describe("a cursor this API did not return", () => {
  const lists = () => [
    "/v1/clients",
    "/v1/webhooks",
    `/v1/webhooks/${webhookId}/deliveries`,
    "/v1/learners/ana/submissions",
    "/v1/learners/ana/statements",
  ];
  it.each([
    ["an id that is not a UUID", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwWiIsIm5vdC1hLXV1aWQiXQ"],
    ["a date out of range", cursorOf(["0000-01-01T00:00:00.000Z", "0b9a4c8e-6f7d-4c5e-9a1b-2c3d4e5f6a7b"])],
    ["a date that is no date", cursorOf(["yesterday", "0b9a4c8e-6f7d-4c5e-9a1b-2c3d4e5f6a7b"])],
    ["not JSON at all", "bm90IGpzb24"],
  ])("with %s is a 400 naming querystring.cursor on every list", async (_label, cursor) => {
    for (const list of lists()) {
      const response = await request(t.app.server).get(list).query({ cursor }).set("authorization", admin);
      expectFieldProblem(response, "querystring.cursor");
    }
  });
});

describe("a NUL character, which PostgreSQL cannot store in text", () => {
  it("in a client name, a webhook URL or a lab URL is a 400 naming the field", async () => {
    expectFieldProblem(
      await request(t.app.server)
        .post("/v1/clients")
        .set("authorization", admin)
        .send({ name: "lms\u0000", scopes: ["content:read"] }),
      "body.name",
    );
    expectFieldProblem(
      await request(t.app.server)
        .post("/v1/webhooks")
        .set("authorization", admin)
        .send({ url: "http://127.0.0.1:9/\u0000", events: ["submission.graded"] }),
      "body.url",
    );
    expectFieldProblem(
      await request(t.app.server)
        .put("/v1/learners/ana/lab")
        .set("authorization", admin)
        .send({ engineUrl: "tcp://127.0.0.1:2376\u0000" }),
      "body.engineUrl",
    );
    expect(await t.prisma.apiClient.count({ where: { name: { startsWith: "lms" } } })).toBe(0);
    expect(await t.prisma.learnerLab.count()).toBe(0);
  });

  it("anywhere in a nested body is found and named", async () => {
    expectFieldProblem(
      await request(t.app.server)
        .post("/v1/webhooks")
        .set("authorization", admin)
        .send({ url: "http://127.0.0.1:9/hook", events: ["submission.graded\u0000"] }),
      "body.events.0",
    );
  });
});

describe("learner ids and lab URLs that were accepted", () => {
  it.each([".", ".."])("refuses the learner id %j", async (learnerId) => {
    const response = await request(t.app.server)
      .post("/v1/exercises/alpine-una-vez/submissions")
      .set("authorization", admin)
      .send({ learnerId, containerName: "hygiene-no-such-container" });
    expectFieldProblem(response, "body.learnerId");
    expect(await t.prisma.learner.count({ where: { id: learnerId } })).toBe(0);
  });

  it("refuses a lab port above 65535", async () => {
    const response = await request(t.app.server)
      .put("/v1/learners/ana/lab")
      .set("authorization", admin)
      .send({ engineUrl: "tcp://127.0.0.1:70000" });
    expectFieldProblem(response, "body.engineUrl");
    expect(await t.prisma.learnerLab.count()).toBe(0);
  });
});

describe("a body nested deeper than any schema", () => {
  it("is answered with a 4xx, not a stack overflow", async () => {
    const deep = `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`;
    const response = await request(t.app.server)
      .post("/v1/clients")
      .set("authorization", admin)
      .set("content-type", "application/json")
      .send(deep);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});

describe("a lone UTF-16 surrogate, which PostgreSQL cannot store either", () => {
  const LONE = "\ud800";
  // The admin's id exists once beforeAll has run, so these bodies are made when sent.
  const platform = (field: string, value: unknown) => () => ({
    apiClientId: adminId,
    issuer: "https://lms.example",
    clientId: "tool-1",
    deploymentIds: ["1"],
    authUrl: "https://lms.example/auth",
    tokenUrl: "https://lms.example/token",
    jwksUrl: "https://lms.example/jwks",
    [field]: value,
  });
  const pem = (label: string) => `-----BEGIN ${label}-----\nMIIB${LONE}\n-----END ${label}-----\n`;
  // Bodies the audit sent, valid but for one field: each answered 500. Now a 400 that names the field.
  it.each<[string, string, string, object | (() => object), string]>([
    [
      "no key",
      "POST",
      "/lti/login",
      {
        iss: "https://lms.example",
        login_hint: "u1",
        target_link_uri: "https://tool.example/lti/launch",
        client_id: LONE,
      },
      "body.client_id",
    ],
    [
      "admin",
      "POST",
      "/v1/exercises/preguntas-comandos-basicos/submissions",
      { learnerId: "ana", answers: { "ver-los-detenidos": `docker ps -a${LONE}` } },
      "body.answers.ver-los-detenidos",
    ],
    ["admin", "POST", "/v1/clients", { name: `lms${LONE}`, scopes: ["content:read"] }, "body.name"],
    [
      "admin",
      "POST",
      "/v1/clients",
      { name: "lms", scopes: ["content:read"], homePage: `https://lms.example/${LONE}` },
      "body.homePage",
    ],
    ["admin", "POST", "/v1/webhooks", { url: `http://127.0.0.1:9/${LONE}`, events: ["submission.graded"] }, "body.url"],
    ["admin", "PUT", "/v1/lrs", { url: `https://lrs.example/${LONE}`, username: "u", password: "p" }, "body.url"],
    [
      "admin",
      "PUT",
      "/v1/lrs",
      { url: "https://lrs.example/xapi", username: "u", password: `p${LONE}` },
      "body.password",
    ],
    ["admin", "POST", "/v1/lti/platforms", platform("clientId", `tool${LONE}`), "body.clientId"],
    ["admin", "POST", "/v1/lti/platforms", platform("deploymentIds", [`1${LONE}`]), "body.deploymentIds.0"],
    [
      "admin",
      "PUT",
      "/v1/learners/ana/lab",
      { engineUrl: "tcp://127.0.0.1:2376", tls: { cert: pem("CERTIFICATE"), key: pem("PRIVATE KEY") } },
      "body.tls.cert",
    ],
  ])("as the audit sent it (%s): %s %s is a 400 naming the field", async (caller, method, url, body, field) => {
    const sent = request(t.app.server)
      [method === "POST" ? "post" : "put"](url)
      .send(typeof body === "function" ? body() : body);
    const response = await (caller === "admin" ? sent.set("authorization", admin) : sent);
    expectFieldProblem(response, field);
    expect(response.body.errors[0].message).toMatch(/surrogate/);
  });

  it("stored nothing from those requests", async () => {
    expect(await t.prisma.apiClient.count({ where: { name: { startsWith: "lms" } } })).toBe(0);
    expect(await t.prisma.ltiPlatform.count()).toBe(0);
    expect(await t.prisma.lrsEndpoint.count()).toBe(0);
    expect(await t.prisma.learnerLab.count()).toBe(0);
  });

  it("in every string field of every operation's JSON body is a 400 naming that field, before the schema runs", async () => {
    const cases = bodyStringFields(t.app.swagger() as OpenApiDocument);
    expect(cases.map((c) => `${c.method} ${c.path} ${c.field}`)).toEqual(
      expect.arrayContaining([
        "POST /lti/login body.client_id",
        "POST /v1/exercises/{id}/submissions body.answers.q",
        "POST /v1/clients body.homePage",
        "PUT /v1/learners/{learnerId}/lab body.tls.key",
        "POST /v1/lti/platforms body.deploymentIds.0",
        "PUT /v1/clients/{id}/lrs body.password",
      ]),
    );
    const wrong: string[] = [];
    for (const { method, path, field, body } of cases) {
      const url = path.replace(/\{(\w+)\}/g, (_match, name: string) => sampleParam(name));
      const response = await request(t.app.server)
        [method.toLowerCase() as "post"](url)
        .set("authorization", admin)
        .send(body as object);
      const named = response.body?.errors?.map((error: { path: string }) => error.path) ?? [];
      if (response.status !== 400 || !named.includes(field))
        wrong.push(`${method} ${url} ${field}: ${response.status} ${named}`);
    }
    expect(wrong).toEqual([]);
  });

  it("sent as its UTF-8 bytes in a path, a query or a form never decodes to one, and is never a 5xx", async () => {
    // Percent-decoding (fast-querystring, find-my-way) keeps an invalid sequence as it is, and
    // URLSearchParams (the LTI forms) turns it into U+FFFD: only JSON's \ud800 escape makes a lone surrogate.
    const bytes = "%ED%A0%80";
    const document = t.app.swagger() as OpenApiDocument;
    const failures: string[] = [];
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        for (const parameter of operation.parameters ?? []) {
          if (parameter.in !== "path" && parameter.in !== "query") continue;
          let url = path.replace(/\{(\w+)\}/g, (_match, name: string) =>
            name === parameter.name ? bytes : sampleParam(name),
          );
          if (parameter.in === "query") url += `?${parameter.name}=${bytes}`;
          const response = await request(t.app.server)[method as "get"](url).set("authorization", admin);
          if (response.status >= 500) failures.push(`${method.toUpperCase()} ${url}: ${response.status}`);
        }
      }
    }
    for (const url of ["/lti/login", "/lti/launch"]) {
      for (const field of ["iss", "login_hint", "target_link_uri", "client_id", "id_token", "state"]) {
        const response = await request(t.app.server)
          .post(url)
          .type("form")
          .send(`iss=https%3A%2F%2Flms.example&login_hint=u&target_link_uri=https%3A%2F%2Ft.example&${field}=${bytes}`);
        if (response.status >= 500) failures.push(`POST ${url} form ${field}: ${response.status}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

/** A value for a path parameter that passes its schema, so the request reaches the body. */
function sampleParam(name: string): string {
  return (
    { learnerId: "ana", id: "00000000-0000-4000-8000-000000000000", sessionId: "00000000-0000-4000-8000-000000000000" }[
      name
    ] ?? "x"
  );
}

interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}
interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string }[];
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
      }
    >
  >;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** One case per string a JSON body can hold (a record's values under the key "q"), with a lone surrogate there. */
function bodyStringFields(document: OpenApiDocument) {
  const resolve = (schema: JsonSchema): JsonSchema =>
    schema.$ref ? (document.components?.schemas?.[schema.$ref.split("/").pop() ?? ""] ?? {}) : schema;
  const leaves = (given: JsonSchema): { path: string[]; wrap: (value: string) => unknown }[] => {
    const schema = resolve(given);
    const alternatives = schema.anyOf ?? schema.oneOf;
    if (alternatives) {
      const all = alternatives.flatMap(leaves);
      return all.filter(
        (leaf, index) => all.findIndex((other) => other.path.join(".") === leaf.path.join(".")) === index,
      );
    }
    const types = [schema.type].flat();
    if (types.includes("string")) return [{ path: [], wrap: (value) => value }];
    if (types.includes("array") && schema.items) {
      return leaves(schema.items).map((leaf) => ({ path: ["0", ...leaf.path], wrap: (value) => [leaf.wrap(value)] }));
    }
    const members: [string, JsonSchema][] = Object.entries(schema.properties ?? {});
    if (typeof schema.additionalProperties === "object") members.push(["q", schema.additionalProperties]);
    return members.flatMap(([key, member]) =>
      leaves(member).map((leaf) => ({
        path: [key, ...leaf.path],
        wrap: (value: string) => ({ [key]: leaf.wrap(value) }),
      })),
    );
  };
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).flatMap(([method, operation]) => {
      const schema = operation.requestBody?.content?.["application/json"]?.schema;
      return (schema ? leaves(schema) : []).map((leaf) => ({
        method: method.toUpperCase(),
        path,
        field: ["body", ...leaf.path].join("."),
        body: leaf.wrap("\ud800"),
      }));
    }),
  );
}
