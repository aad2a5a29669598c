import path from "node:path";
import pino from "pino";
import { buildApp } from "./app.js";
import { ConfigError, loadConfig } from "./config/config.js";
import { type EmbeddedDatabase, startEmbeddedPostgres } from "./db/embedded-postgres.js";
import { migrateDatabase } from "./db/migrate.js";
import { isLoopbackHost, signInSelfStudy } from "./sessions/self-study.js";

const SHUTDOWN_TIMEOUT_MS = 15_000;

/** Start-up: configuration, database (embedded unless DATABASE_URL), migrations, then listen. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }

  const logger = pino({
    level: config.logLevel,
    // Readable lines for a person at a terminal; JSON for log collectors everywhere else.
    ...(process.stdout.isTTY ? { transport: { target: "pino-pretty", options: { ignore: "pid,hostname" } } } : {}),
  });
  const log = (message: string) => logger.info(message);
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    log("DATABASE_URL is not set: starting the embedded PostgreSQL");
    embedded = await startEmbeddedPostgres({
      dataDir: path.join(config.dataDir, "postgres"),
      database: "aprendiendo",
      log,
    });
    databaseUrl = embedded.url;
  }
  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    await migrateDatabase(databaseUrl, log);
    app = await buildApp({ ...config, databaseUrl }, { loggerInstance: logger });
  } catch (error) {
    // Invalid content or a failed migration: say what is wrong in one place, leave nothing running.
    logger.fatal(error instanceof Error ? error.message : String(error));
    await embedded?.stop();
    process.exit(1);
  }

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    app.log.info({ signal }, "shutting down: draining in-flight requests");
    const forceExit = setTimeout(() => {
      app.log.error("shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
    // server.close() only reaps sockets idle at that instant; a keep-alive socket whose request
    // finishes later would hold the close open for keepAliveTimeout (72 s) unless reaped too.
    const reapIdle = setInterval(() => app.server.closeIdleConnections(), 100).unref();
    try {
      await app.close(); // stops accepting, drains requests, then closes Prisma and the Docker client
      clearInterval(reapIdle);
      if (embedded) {
        await embedded.stop();
        app.log.info("embedded PostgreSQL stopped");
      }
      clearTimeout(forceExit);
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, "error during shutdown");
      process.exit(1);
    }
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    app.log.error({ err: error }, "could not listen");
    await app.close();
    await embedded?.stop();
    process.exit(1);
  }

  // Self-study: the embedded database on an address only this computer reaches. One line, on
  // stdout whatever the log format, so it can be clicked in a terminal or read by a script.
  if (embedded && isLoopbackHost(config.host)) {
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    const link = await signInSelfStudy(app.prisma, `http://${host}:${port}`);
    process.stdout.write(`\nOpen the course in your browser (this link signs you in):\n    ${link}\n\n`);
  }
}

await main();
