import path from "node:path";
import { buildApp } from "./app.js";
import { type Config, loadConfigOrExit } from "./config/config.js";
import { migrateDatabase } from "./db/migrate.js";
import type { Readiness } from "./health/readiness.js";
import { chooseLogOutput, createLogger } from "./logger.js";
import { type EmbeddedDatabase, startEmbeddedPostgres } from "./runtime/embedded-postgres.js";
import { startSandboxHostProcess } from "./sandbox/start-host-process.js";
import { errorCode } from "./schemas/guards.js";
import { isLoopbackHost, signInSelfStudy, writeSignInLink } from "./sessions/self-study.js";
import { databaseWhere, describeStart } from "./start-summary.js";

/**
 * How long a shutdown may take before the service gives up on it and exits 1. What it waits for is
 * bounded by the service's own deadlines: a request still arriving (REQUEST_TIMEOUT_MS), a grading's
 * wait for the engine and its run (3 × DOCKER_EXEC_TIMEOUT_MS), a query's wait for a connection and
 * its run. Twice their sum, and never under a minute (2 min with the defaults), leaves a busy
 * machine's slow but clean shutdown time to finish, PostgreSQL's shutdown checkpoint included;
 * past it, something hangs.
 */
function shutdownLimitMs(config: Pick<Config, "http" | "grading" | "database">): number {
  const longestRequestMs =
    config.http.requestTimeoutMs +
    3 * config.grading.execTimeoutMs +
    config.database.poolWaitMs +
    config.database.queryTimeoutMs;
  return Math.max(60_000, 2 * longestRequestMs);
}

/** Start-up: configuration, database (embedded unless DATABASE_URL), migrations, then listen. */
async function main(): Promise<void> {
  let config = loadConfigOrExit();

  const output = chooseLogOutput(config, process.stdout.isTTY === true);
  const logger = createLogger(output.level, { pretty: output.forPeople });
  // A person sees each start-up step as it happens (a first start runs initdb for seconds), whatever
  // the level; a collector gets them as info lines.
  const log = output.forPeople
    ? (message: string) => process.stdout.write(`  ${message}\n`)
    : (message: string) => logger.info(message);
  const embeddedDataDir = path.join(config.dataDir, "postgres");
  let embedded: EmbeddedDatabase | undefined;
  let sandboxHost: { stop(): void } | undefined;
  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      log("DATABASE_URL is not set: starting the embedded PostgreSQL");
      const started = Date.now();
      embedded = await startEmbeddedPostgres({
        dataDir: embeddedDataDir,
        database: "aprendiendo",
        log,
      });
      databaseUrl = embedded.url;
      log(`embedded PostgreSQL ready in ${Date.now() - started} ms`);
    }
    await migrateDatabase(databaseUrl, log);
    if (config.sandboxes.enabled && config.sandboxes.startHost) {
      const started = await startSandboxHostProcess(config.sandboxes, config.docker.host, log);
      sandboxHost = started;
      config = { ...config, sandboxes: started.settings };
    }
    app = await buildApp({ ...config, databaseUrl }, { loggerInstance: logger });
    // Start-up checks run when the app is ready (SECRETS_KEY against the database, sealed webhook
    // secrets): a failure there is a start-up failure, not a failure to listen.
    await app.ready();
  } catch (error) {
    // The database, invalid content or a failed migration: say what is wrong, leave nothing running.
    logger.fatal(startupFailure(error));
    sandboxHost?.stop();
    await embedded?.stop();
    process.exit(1);
  }

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    app.log.info({ signal }, "shutting down: draining in-flight requests");
    let waitingFor = "in-flight requests and the database connections";
    const limitMs = shutdownLimitMs(config);
    const giveUp = setTimeout(() => {
      app.log.error(`shutdown did not finish in ${limitMs / 1000} s, still waiting for ${waitingFor}; exiting`);
      process.exit(1);
    }, limitMs).unref();
    // server.close() only reaps sockets idle at that instant; a keep-alive socket whose request
    // finishes later would hold the close open for keepAliveTimeout (72 s) unless reaped too.
    const reapIdle = setInterval(() => app.server.closeIdleConnections(), 100).unref();
    try {
      await app.close(); // stops accepting, drains requests, then closes Prisma and the Docker client
      clearInterval(reapIdle);
      // The host destroys every sandbox when it stops: nothing of them outlives the service it served.
      sandboxHost?.stop();
      if (embedded) {
        waitingFor = "the embedded PostgreSQL to stop";
        await embedded.stop();
        app.log.info("embedded PostgreSQL stopped");
      }
      clearTimeout(giveUp);
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
    // A SIGTERM before the socket was bound closes the app under listen(): the shutdown goes on.
    if (shuttingDown) return;
    app.log.fatal(listenFailure(error, config));
    await app.close();
    await embedded?.stop();
    process.exit(1);
  }

  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  // A SIGTERM right after listening closes the app and its database under these steps (the
  // summary's /ready, the self-study link): the shutdown goes on, and it decides the exit code.
  try {
    if (output.forPeople) {
      const readiness = await app.inject({ method: "GET", url: "/ready" });
      process.stdout.write(
        describeStart({
          url,
          database: embedded ? { embedded: embeddedDataDir } : { external: databaseWhere(config.databaseUrl ?? "") },
          dockerHost: config.docker.host ?? "unix:///var/run/docker.sock",
          docker: readiness.json<Readiness>().dependencies.docker,
          sandboxes: config.sandboxes.enabled,
          logLevel: output.level,
        }),
      );
    }

    // Self-study: the embedded database on an address only this computer reaches. In a terminal the
    // link is printed to be clicked; output that is not a terminal ends up in a log, which must hold
    // no session token, so there the link goes to a file only this user can read.
    if (embedded && isLoopbackHost(config.host)) {
      const link = await signInSelfStudy(app.storage, url);
      if (process.stdout.isTTY) {
        process.stdout.write(`\nOpen the course in your browser (this link signs you in):\n    ${link}\n\n`);
      } else {
        const file = await writeSignInLink(config.dataDir, link);
        process.stdout.write(
          `\nThe link that signs you in to the course is in ${file} (not printed: this output is not a terminal)\n\n`,
        );
      }
    } else if (embedded) {
      log(
        `no self-study link: HOST ${config.host} is reachable from other computers; learners sign in through an API client's sessions`,
      );
    }
  } catch (error) {
    if (!shuttingDown) throw error;
  }
}

/** One line a person can act on; never `undefined`, whatever was thrown. */
function startupFailure(error: unknown): string {
  if (error instanceof Error) return error.message || `${error.name} without a message`;
  return `start-up failed: ${error === undefined ? "a step failed without saying why" : String(error)}`;
}

function listenFailure(error: unknown, config: { host: string; port: number }): string {
  const address = `${config.host}:${config.port}`;
  switch (errorCode(error)) {
    case "EADDRINUSE":
      return `cannot listen on ${address}: PORT ${config.port} is in use by another process; stop it, or set PORT to another port (0 picks a free one)`;
    case "EACCES":
      return `cannot listen on ${address}: this user may not use PORT ${config.port} (below 1024 needs privileges); set PORT to 1024 or above`;
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return `cannot listen on ${address}: HOST ${config.host} is not an address of this machine; set HOST to 127.0.0.1 or 0.0.0.0`;
    default:
      return `cannot listen on ${address}: ${startupFailure(error)}`;
  }
}

try {
  await main();
} catch (error) {
  console.error(startupFailure(error));
  process.exit(1);
}
