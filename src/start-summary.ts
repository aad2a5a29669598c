import type { Readiness } from "./health/readiness.js";

interface StartFacts {
  url: string;
  /** Embedded: the folder it keeps its data in; external: DATABASE_URL's host, never its password. */
  database: { embedded: string } | { external: string };
  dockerHost: string;
  docker: Readiness["dependencies"]["docker"];
  sandboxes: boolean;
  logLevel: string;
}

/**
 * What `npm start` says to a person at a terminal once it serves: where, on what, and whether grading
 * can work, in a few lines they can read before the sign-in link that follows. Collectors get the
 * same facts as JSON log lines instead.
 */
export function describeStart(facts: StartFacts): string {
  const database =
    "embedded" in facts.database
      ? `embedded PostgreSQL, data in ${facts.database.embedded}`
      : `PostgreSQL at ${facts.database.external}`;
  const docker =
    facts.docker.status === "up"
      ? `answers at ${facts.dockerHost}: exercises are graded`
      : `not reachable at ${facts.dockerHost} (${facts.docker.reason ?? "no answer"}): lessons work, ` +
        "grading waits for Docker (the lesson «Instalar Docker» says how to install it)";
  const sandboxes = facts.sandboxes
    ? "on: each learner gets a Docker of their own in the browser, at /terminal"
    : "off (SANDBOXES_ENABLED=true gives each learner a Docker in the browser)";
  const log =
    facts.logLevel === "warn"
      ? "warnings and errors only; LOG_LEVEL=info shows every request"
      : `level ${facts.logLevel} (LOG_LEVEL)`;
  return [
    "",
    `Aprendiendo Docker is serving the course at ${facts.url}`,
    `  database   ${database}`,
    `  docker     ${docker}`,
    `  sandboxes  ${sandboxes}`,
    `  log        ${log}`,
    "",
  ].join("\n");
}

/** DATABASE_URL's host and database, for saying where the data is without printing a password. */
export function databaseWhere(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return "DATABASE_URL";
  }
}
