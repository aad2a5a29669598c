// The 7.x adapter, not the app's 6.x one: through the 6.x adapter the CLI's schema engine cannot read
// PostgreSQL's `name` columns, and `migrate deploy` fails with "Column type 'name' could not be deserialized".
import { PrismaPg } from "@prisma/adapter-pg-7";
import { defineConfig } from "prisma/config";

// The CLI needs a driver adapter for every command, even offline ones such as generate.
const url = process.env.DATABASE_URL ?? "postgresql://placeholder@127.0.0.1:5432/placeholder";

export default defineConfig({
  schema: "prisma/schema.prisma",
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => new PrismaPg({ connectionString: url }),
});
