import { lookup } from "node:dns/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { errorCode } from "../schemas/guards.js";

/**
 * Every request the service makes to a URL it was given (webhooks, an LRS, an LTI platform's JWKS,
 * token endpoint and line items) goes through this module. Such URLs are chosen by API clients or
 * by platforms' id_tokens, so by default they may only reach public addresses: anything else would
 * be server-side request forgery into our network. DELIVERY_ALLOW_PRIVATE_URLS=true lifts this
 * (tests, or receivers inside the same private network).
 */

/** How a host name becomes addresses: the system resolver, unless a test plays a DNS server. */
export type ResolveHost = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: ResolveHost = (hostname) => lookup(hostname, { all: true, verbatim: true });

export interface OutboundPolicy {
  allowPrivateUrls: boolean;
  resolveHost: ResolveHost;
  timeoutMs: number;
}

/**
 * What the tenant reads when a destination is refused. It names no address and no cause, and nothing
 * was sent, so no status exists: a recorded error cannot be used to map the network behind us.
 */
export const REFUSED = "refused: the host has no public address";

/** The only IPv6 block IANA allocates for global unicast; everything else is reserved or special. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR("2000::/3");

/**
 * True for every address in IANA's IPv4 and IPv6 special-purpose registries, and for multicast.
 * ipaddr.js names each of those ranges and calls everything else "unicast". The forms that embed an
 * IPv4 address (v4-mapped, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4, Teredo) are refused whatever
 * they embed, because a translator or relay, not us, decides where they finally lead. The deprecated
 * IPv4-compatible form `::a.b.c.d` is outside 2000::/3, so it is refused too.
 */
function isSpecialPurposeAddress(address: string): boolean {
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

/** When a URL is stored, what is known without DNS: an address literal, or a localhost name. */
export function isRefusedAtRegistration(url: string, allowPrivate: boolean): boolean {
  if (allowPrivate) return false;
  const host = hostOf(url);
  return isLocalhostName(host) || (isIP(host) !== 0 && isSpecialPurposeAddress(host));
}

export type Destination =
  | { refused: false; url: string; address: string; family: number }
  | { refused: true; url: string /** For the operators' log only: it may name an internal address. */; reason: string };

/**
 * Resolves the URL's host once and checks every address it resolves to. The request then connects to
 * the returned address and to nothing else, so an answer that changes after the check (DNS
 * rebinding) is never used. Under the strict policy a name that does not resolve reads as refused:
 * whether an internal name exists is itself an answer.
 */
export async function resolveDestination(url: string, policy: OutboundPolicy): Promise<Destination> {
  const host = hostOf(url);
  const allowPrivate = policy.allowPrivateUrls;
  if (!allowPrivate && isLocalhostName(host)) return { refused: true, url, reason: `${host} is loopback` };
  let addresses: { address: string; family: number }[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await policy.resolveHost(host);
  } catch (cause) {
    if (allowPrivate) throw cause;
    return { refused: true, url, reason: String(cause) };
  }
  const [first] = addresses;
  if (!first) return { refused: true, url, reason: `${host} has no address` };
  const special = allowPrivate ? undefined : addresses.find((a) => isSpecialPurposeAddress(a.address));
  if (special) {
    return { refused: true, url, reason: `${host} resolves to the special-purpose address ${special.address}` };
  }
  return { refused: false, url, address: first.address, family: first.family };
}

interface OutboundRequest {
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
}

/** The remote end's answer. `body` is read only up to a bound and is for protocol decisions and the log. */
interface OutboundResponse {
  status: number;
  headers: IncomingMessage["headers"];
  body: string;
}

/** A body larger than this is cut: a JWKS or a token answer is a few KB, and nothing else needs more. */
const MAX_BODY_BYTES = 256 * 1024;

/**
 * Sends one request over a connection to the checked address, whatever the host name resolves to by
 * now. The URL's host still goes into the Host header and into TLS (server name and certificate
 * check), so HTTPS verifies the name that was given. Redirects are never followed: a 3xx is an
 * answer like any other. Each request opens its own connection (`agent: false`): a pooled socket
 * would be reused by host name, not by checked address.
 */
export function sendTo(
  destination: Extract<Destination, { refused: false }>,
  outgoing: OutboundRequest,
  timeoutMs: number,
): Promise<OutboundResponse> {
  const pinned = { address: destination.address, family: destination.family };
  // net.connect asks for every address when it races IPv4 and IPv6 (autoSelectFamily), else for one.
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const request = new URL(destination.url).protocol === "https:" ? httpsRequest : httpRequest;
  const body = outgoing.body ?? "";
  return new Promise((resolve, reject) => {
    const sent = request(
      destination.url,
      {
        method: outgoing.method,
        headers: {
          ...outgoing.headers,
          ...(outgoing.method === "POST" ? { "content-length": String(Buffer.byteLength(body)) } : {}),
        },
        lookup,
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          if (size >= MAX_BODY_BYTES) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_BODY_BYTES) response.destroy();
        });
        const answer = () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString("utf8"),
          });
        response.on("end", answer);
        response.on("close", answer);
        response.on("error", reject);
      },
    );
    sent.on("error", reject);
    sent.end(outgoing.method === "POST" ? body : undefined);
  });
}

/** A request that could not be sent to a refused destination; its message is REFUSED, nothing more. */
export class OutboundRefused extends Error {
  constructor(readonly destination: Extract<Destination, { refused: true }>) {
    super(REFUSED);
    this.name = "OutboundRefused";
  }
}

/** Resolve, check, pin and send in one call, for requests that need nothing between the check and the send. */
export async function send(url: string, outgoing: OutboundRequest, policy: OutboundPolicy): Promise<OutboundResponse> {
  const destination = await resolveDestination(url, policy);
  if (destination.refused) throw new OutboundRefused(destination);
  return sendTo(destination, outgoing, policy.timeoutMs);
}

/**
 * What a recorded error says when a request got no answer: a fixed reason per kind of failure. A
 * socket error's message may name an internal address or echo the remote end, so it goes to the
 * service's log only.
 */
export function failureReason(cause: unknown): string {
  if (cause instanceof OutboundRefused) return REFUSED;
  const code = errorCode(cause);
  const name = cause instanceof Error ? cause.name : "";
  if (name === "TimeoutError" || name === "AbortError" || code === "ABORT_ERR") return "timed out";
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET" || code === "EPIPE") return "connection reset";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "the host name does not resolve";
  if (typeof code === "string" && /^(ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_SSL)/.test(code)) {
    return "TLS failed";
  }
  return "could not be sent";
}

/** What a recorded error says of an HTTP answer that was not a success: the status, never the body. */
export function statusReason(status: number): string {
  if (status >= 300 && status < 400) return `HTTP ${status}: redirects are not followed`;
  if (status === 401 || status === 403) return `HTTP ${status}: not authorized`;
  if (status === 408 || status === 429) return `HTTP ${status}: asked to retry later`;
  if (status >= 400 && status < 500) return `HTTP ${status}: refused by the receiver`;
  return `HTTP ${status}: the receiver failed`;
}
