import { appendFileSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pino, { type DestinationStream } from "pino";
import { inject } from "vitest";

/**
 * Every app and server a test starts logs at `info` into the run's log folder, as in production,
 * so that the run's end can read every line it wrote (findLeakedCredentials). Logs that tests
 * silenced would prove nothing about what an operator's log holds.
 */
let destination: DestinationStream | undefined;

export function runLogDestination(): DestinationStream {
  destination ??= pino.destination({ dest: path.join(inject("testLogDir"), `apps-${process.pid}.log`), sync: false });
  return destination;
}

/** Appends a started server's own stdout and stderr (what an operator's log collector would keep). */
export function appendServerOutput(pid: number | undefined, text: string): void {
  appendFileSync(path.join(inject("testLogDir"), `server-${pid ?? "unknown"}.log`), text);
}

/** Our credentials' shapes with enough of a body to be usable: a masked `ads_[redacted]` does not match. */
const CREDENTIAL = /\b(?:ads|adk)_[A-Za-z0-9_-]{16,}/;

/** Each log line of the folder that holds a learner-session token or an API key, as `file: line`. */
export function findLeakedCredentials(folder: string): { scannedLines: number; leaks: string[] } {
  let scannedLines = 0;
  const leaks: string[] = [];
  for (const file of readdirSync(folder)) {
    for (const line of readFileSync(path.join(folder, file), "utf8").split("\n")) {
      if (line === "") continue;
      scannedLines++;
      if (CREDENTIAL.test(line)) leaks.push(`${file}: ${line.slice(0, 300)}`);
    }
  }
  return { scannedLines, leaks };
}
