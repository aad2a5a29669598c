import path from "node:path";

/**
 * A lab's engine URL is chosen by an API client, and the service then connects to it: without a
 * check this is server-side request forgery (any socket or host:port the server can reach). Only
 * URLs matching LAB_ENGINE_ALLOWLIST pass; an entry ending in `*` matches any rest. Unix paths
 * must already be normal (no `..`, no `//`), so a prefix cannot be escaped.
 */
export function isAllowedEngineUrl(url: string, allowlist: readonly string[]): boolean {
  if (url.startsWith("unix://")) {
    const socket = url.slice("unix://".length);
    if (!socket.startsWith("/") || path.posix.normalize(socket) !== socket) return false;
  } else if (url.startsWith("tcp://")) {
    if (!/^tcp:\/\/[A-Za-z0-9.-]+:\d{1,5}$/.test(url) && !/^tcp:\/\/\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(url)) return false;
  } else {
    return false;
  }
  return allowlist.some((entry) => (entry.endsWith("*") ? url.startsWith(entry.slice(0, -1)) : url === entry));
}
