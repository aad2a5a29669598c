import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/**
 * Webhook URLs are chosen by API clients and the service POSTs to them, so by default they may only
 * reach public addresses: anything else would be server-side request forgery into our network.
 * WEBHOOK_ALLOW_PRIVATE_URLS=true lifts this (tests, or a receiver inside the same private network).
 */

/** How a host name becomes addresses: the system resolver, unless a test plays a DNS server. */
export type ResolveHost = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: ResolveHost = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** The only IPv6 block IANA allocates for global unicast; everything else is reserved or special. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3");

/**
 * True for every address in IANA's IPv4 and IPv6 special-purpose registries, and for multicast.
 * ipaddr.js names each of those ranges and calls everything else "unicast". The forms that embed an
 * IPv4 address (v4-mapped, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4, Teredo) are refused whatever
 * they embed, because a translator or relay, not us, decides where they finally lead. The deprecated
 * IPv4-compatible form `::a.b.c.d` is outside 2000::/3, so it is refused too.
 */
export function isSpecialPurposeAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  const parsed = ipaddr.parse(address);
  if (parsed.range() !== "unicast") return true;
  return parsed.kind() === "ipv6" && !parsed.match(GLOBAL_UNICAST_V6);
}

/** The host connect() would use: no IPv6 brackets, lower case, and no trailing dot (`localhost.` is localhost). */
function hostOf(url: string): string {
  return new URL(url).hostname
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "")
    .toLowerCase();
}

/** RFC 6761: resolvers answer these with loopback, whatever DNS says. */
function isLocalhostName(host: string): boolean {
  return host === "localhost" || host.endsWith(".localhost");
}

/** At registration, what is known without DNS: an address literal, or a localhost name. */
export function isRefusedAtRegistration(url: string, allowPrivate: boolean): boolean {
  if (allowPrivate) return false;
  const host = hostOf(url);
  return isLocalhostName(host) || (isIP(host) !== 0 && isSpecialPurposeAddress(host));
}

export type Destination =
  | { refused: false; address: string; family: number }
  | { refused: true /** For the operators' log only: it may name an internal address. */; reason: string };

/**
 * Resolves the URL's host once and checks every address it resolves to. The caller connects to the
 * returned address and to nothing else, so an answer that changes after the check (DNS rebinding)
 * is never used.
 */
export async function resolveDestination(
  url: string,
  allowPrivate: boolean,
  resolveHost: ResolveHost,
): Promise<Destination> {
  const host = hostOf(url);
  if (!allowPrivate && isLocalhostName(host)) return { refused: true, reason: `${host} is loopback` };
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolveHost(host);
  const [first] = addresses;
  if (!first) return { refused: true, reason: `${host} has no address` };
  const special = allowPrivate ? undefined : addresses.find((a) => isSpecialPurposeAddress(a.address));
  if (special) return { refused: true, reason: `${host} resolves to the special-purpose address ${special.address}` };
  return { refused: false, address: first.address, family: first.family };
}
