import path from "node:path";

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
export function isAllowedEngineUrl(url: string, allowlist: readonly string[]): boolean {
  if (url.startsWith("unix://")) {
    if (!isNormalSocketPath(url.slice("unix://".length))) return false;
  } else if (url.startsWith("tcp://")) {
    if (!/^tcp:\/\/[A-Za-z0-9.-]+:\d{1,5}$/.test(url) && !/^tcp:\/\/\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(url)) return false;
  } else {
    return false;
  }
  return allowlist.some((entry) => (entry.endsWith("*") ? url.startsWith(entry.slice(0, -1)) : url === entry));
}
