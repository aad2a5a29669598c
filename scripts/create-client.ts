// Creates an API client and prints its key alone on the last line:
//   npm run client:create -- --name "Moodle" --scopes admin
// Uses the same database as `npm start`: DATABASE_URL, else the embedded PostgreSQL in DATA_DIR
// (the running one if `npm start` holds it, else started here for the duration of the command).
import path from "node:path";
import { parseArgs } from "node:util";
import { createApiClient, NewApiClientSchema } from "../src/clients/api-clients.js";
import { ConfigError, loadConfig } from "../src/config/config.js";
import { migrateDatabase } from "../src/db/migrate.js";
import { createDatabaseClient } from "../src/db/prisma.js";
import {
  type EmbeddedDatabase,
  findRunningEmbeddedPostgres,
  startEmbeddedPostgres,
} from "../src/runtime/embedded-postgres.js";

const log = (message: string) => console.log(`[client:create] ${message}`);
const fail = (message: string, code = 64): never => {
  console.error(`client:create: ${message}`);
  process.exit(code);
};

const { values } = parseArgs({
  options: { name: { type: "string" }, scopes: { type: "string" } },
  strict: true,
});
const input = NewApiClientSchema.safeParse({
  name: values.name,
  scopes: (values.scopes ?? "")
    .split(",")
    .map((scope) => scope.trim())
    .filter(Boolean),
});
if (!input.success) {
  fail(
    `usage: npm run client:create -- --name NAME --scopes admin[,content:read,...]\n` +
      input.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`).join("\n"),
  );
}

let config: ReturnType<typeof loadConfig> | undefined;
try {
  config = loadConfig();
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error), 78);
}
if (!config || !input.data) process.exit(1);

const DATABASE = "aprendiendo"; // the name src/server.ts gives the embedded database
let embedded: EmbeddedDatabase | undefined;
let databaseUrl = config.databaseUrl;
if (databaseUrl) {
  log("using DATABASE_URL");
} else {
  const dataDir = path.join(config.dataDir, "postgres");
  databaseUrl = await findRunningEmbeddedPostgres({ dataDir, database: DATABASE });
  if (databaseUrl) {
    log(`using the embedded PostgreSQL already running in ${dataDir}`);
  } else {
    log(`starting the embedded PostgreSQL in ${dataDir}`);
    embedded = await startEmbeddedPostgres({ dataDir, database: DATABASE, log });
    databaseUrl = embedded.url;
  }
}

const db = createDatabaseClient(databaseUrl);
try {
  await migrateDatabase(databaseUrl, log);
  const { client, key } = await createApiClient({ prisma: db }, input.data);
  log(`created client ${client.id} "${client.name}" with scopes ${client.scopes.join(", ")}`);
  log("the key below is shown only now; store it in your LMS's secret store:");
  console.log(key);
} finally {
  await db.$disconnect();
  await embedded?.stop();
}
