// Regenerates openapi.yaml, the published contract, from the routes' zod schemas.
// `npm run openapi`; the contract test fails until this is run after an API change.
import { writeFile } from "node:fs/promises";
import YAML from "yaml";
import { buildApp } from "../src/app.js";
import { loadConfig } from "../src/config/config.js";

// No connection is opened: the document needs the routes, not the database or the engine.
const app = await buildApp(
  { ...loadConfig({ LOG_LEVEL: "warn" }), databaseUrl: "postgresql://unused@127.0.0.1:1/unused" },
  { logger: false },
);
await app.ready();
const document = app.swagger();
await app.close();
// Schemas are registered in module import order; sorted, the file changes only when the contract does.
if ("components" in document && document.components?.schemas) {
  const sorted = Object.entries(document.components.schemas).sort(([a], [b]) => a.localeCompare(b));
  document.components.schemas = Object.fromEntries(sorted);
}
await writeFile("openapi.yaml", YAML.stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 }));
console.log(`openapi.yaml: ${Object.keys(document.paths ?? {}).length} paths written`);
