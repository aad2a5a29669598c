import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { inject } from "vitest";
import { type AppConfig, buildApp } from "../src/app.js";
import { createApiClient } from "../src/clients/api-clients.js";
import type { Scope } from "../src/clients/scopes.js";
import { loadConfig } from "../src/config/config.js";
import { createDatabaseClient, type Database } from "../src/db/prisma.js";
import { createLogger } from "../src/logger.js";
import { adminQuery, withDatabase } from "./global-setup.js";
import { runLogDestination } from "./support/run-log.js";

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own, cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject("databaseAdminUrl");
  const name = `test_${randomBytes(6).toString("hex")}`;
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(adminUrl, `CREATE DATABASE ${name} TEMPLATE ${inject("templateDatabase")}`);
      break;
    } catch (error) {
      // Two clones of one template at the same instant can collide; a short retry settles it.
      if (attempt >= 5 || !/being accessed by other users/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
  return {
    url: withDatabase(adminUrl, name),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** The configuration the tests start from: quiet logs, the real content, the default Docker engine. */
export function testConfig(databaseUrl: string, overrides: Partial<AppConfig> = {}): AppConfig {
  // Webhook receivers in tests listen on 127.0.0.1, which production refuses by default.
  const env = { LOG_LEVEL: "silent", DOCKER_HOST: process.env.DOCKER_HOST, WEBHOOK_ALLOW_PRIVATE_URLS: "true" };
  return { ...loadConfig(env), databaseUrl, ...overrides };
}

export interface TestApp {
  app: FastifyInstance;
  /** A separate client on the same database, for asserting what was stored. */
  prisma: Database;
  databaseUrl: string;
  /** `Bearer <key>` of an API client made for this app: submissions:write, progress:read, webhooks:manage, engine:shared. */
  auth: string;
  clientId: string;
  close(): Promise<void>;
}

/** The real application on its own database, ready for supertest (`request(app.server)`). */
export async function buildTestApp(
  overrides: Partial<AppConfig> = {},
  options: Parameters<typeof buildApp>[1] = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const logging = "logger" in options || options.loggerInstance ? {} : { loggerInstance: runLogger() };
  const app = await buildApp(testConfig(database.url, overrides), { ...logging, ...options });
  await app.ready();
  const prisma = createDatabaseClient(database.url);
  const lms = await createTestClient(
    prisma,
    ["submissions:write", "progress:read", "webhooks:manage", "engine:shared"],
    "test LMS",
  );
  return {
    app,
    prisma,
    databaseUrl: database.url,
    auth: lms.auth,
    clientId: lms.id,
    close: async () => {
      await app.close();
      await prisma.$disconnect();
      await database.drop();
    },
  };
}

/** Another replica of the service on an existing test database (close it yourself). */
export async function buildReplica(databaseUrl: string, overrides: Partial<AppConfig> = {}): Promise<FastifyInstance> {
  const app = await buildApp(testConfig(databaseUrl, overrides));
  await app.ready();
  return app;
}

/** A new API client straight in the database; `auth` is the header value for supertest's `.set("authorization", …)`. */
export async function createTestClient(
  db: Database,
  scopes: Scope[],
  name = "test client",
): Promise<{ id: string; key: string; auth: string }> {
  const { client, key } = await createApiClient({ prisma: db }, { name, scopes });
  return { id: client.id, key, auth: `Bearer ${key}` };
}

/** The production logger at `info`, into the run's log folder (read at the run's end for leaked credentials). */
export function runLogger() {
  return createLogger("info", { destination: runLogDestination() });
}
