import { realpath } from "node:fs/promises";
import path from "node:path";
import { errorCode } from "../schemas/guards.js";

/**
 * A socket path an allowlist prefix can be trusted on: absolute, already normal (no `.` or `..`
 * segments, no `//`), and with no percent-encoding. Paths are used literally, so `%2e%2e` cannot
 * climb today, but anything that would decode or resolve to another path is not the path it claims.
 */
export function isNormalSocketPath(socket: string): boolean {
  return socket.startsWith("/") && path.posix.normalize(socket) === socket && !socket.includes("%");
}

/**
 * A lab's engine URL is chosen by an API client, and the service then connects to it: without a
 * check this is server-side request forgery (any socket or host:port the server can reach). Only
 * URLs matching LAB_ENGINE_ALLOWLIST pass; an entry ending in `*` matches any rest. Unix paths
 * must be normal (isNormalSocketPath), so a prefix cannot be escaped.
 */
function isAllowedEngineUrl(url: string, allowlist: readonly string[]): boolean {
  if (url.startsWith("unix://")) {
    if (!isNormalSocketPath(url.slice("unix://".length))) return false;
  } else if (url.startsWith("tcp://")) {
    if (!/^tcp:\/\/[A-Za-z0-9.-]+:\d{1,5}$/.test(url) && !/^tcp:\/\/\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(url)) return false;
  } else {
    return false;
  }
  return allowlist.some((entry) => (entry.endsWith("*") ? url.startsWith(entry.slice(0, -1)) : url === entry));
}

/**
 * The real path of a socket: symlinks resolved, as the kernel will follow them on connect. A path
 * that does not exist yet (an engine not started) resolves through its deepest existing folder, so
 * a symlinked folder is still seen; a socket that appears later as a symlink is caught at connect,
 * where this runs again.
 */
async function realSocketPath(socket: string): Promise<string> {
  try {
    return await realpath(socket);
  } catch (error) {
    const parent = path.posix.dirname(socket);
    if (errorCode(error) !== "ENOENT" || parent === socket) throw error;
    return path.posix.join(await realSocketPath(parent), path.posix.basename(socket));
  }
}

/**
 * One spelling per engine, which the lab_engines table holds unique: a unix socket's real path, a tcp
 * host in lower case with its port as a number. Two spellings of one engine (a symlink, `//`, an
 * upper-case host) become the same address, so no client can claim an engine another one holds.
 */
export async function canonicalEngineUrl(url: string): Promise<string> {
  if (url.startsWith("unix://")) return `unix://${await realSocketPath(url.slice("unix://".length))}`;
  const { hostname, port } = new URL(url.replace(/^tcp:/, "http:"));
  return `tcp://${hostname.toLowerCase()}:${Number(port)}`;
}

/**
 * isAllowedEngineUrl for a canonical URL, with the allowlist's own unix entries resolved the same
 * way (an allowed folder may itself be a symlink): a socket whose real path leaves every allowed
 * folder is refused, whatever path named it.
 */
export async function isAllowedCanonicalUrl(canonicalUrl: string, allowlist: readonly string[]): Promise<boolean> {
  const resolved = await Promise.all(allowlist.map(resolveAllowlistEntry));
  return isAllowedEngineUrl(canonicalUrl, [...allowlist, ...resolved]);
}

async function resolveAllowlistEntry(entry: string): Promise<string> {
  if (!entry.startsWith("unix://")) return entry;
  const prefix = entry.endsWith("*");
  const written = entry.slice("unix://".length, prefix ? -1 : undefined);
  try {
    const real = await realSocketPath(prefix ? written.replace(/\/$/, "") || "/" : written);
    return `unix://${real}${prefix ? (real.endsWith("/") ? "*" : "/*") : ""}`;
  } catch {
    return entry;
  }
}
