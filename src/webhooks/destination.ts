import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";

/**
 * Webhook URLs are chosen by API clients and the service POSTs to them, so by default they may not
 * reach loopback, private, link-local (cloud metadata) or otherwise internal addresses: that would
 * be server-side request forgery. WEBHOOK_ALLOW_PRIVATE_URLS=true lifts this (tests, or a receiver
 * inside the same private network).
 */
const internal = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  internal.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  internal.addSubnet(network, prefix, "ipv6");
}

export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return internal.check(mapped, "ipv4");
  const family = isIP(address);
  if (family === 0) return true; // not an address at all: refuse
  return internal.check(address, family === 4 ? "ipv4" : "ipv6");
}

function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[(.*)\]$/, "$1");
}

/** At registration: an IP literal or localhost that is internal is refused outright. */
export function isRefusedAtRegistration(url: string, allowPrivate: boolean): boolean {
  if (allowPrivate) return false;
  const host = hostOf(url).toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  return isIP(host) !== 0 && isInternalAddress(host);
}

/**
 * Before each delivery: every address the name resolves to must be public, so a name registered
 * while public cannot later point inside. (fetch resolves again; the window between is small.)
 */
export async function internalAddressOf(url: string, allowPrivate: boolean): Promise<string | undefined> {
  if (allowPrivate) return undefined;
  const host = hostOf(url);
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  return addresses.find(isInternalAddress);
}
