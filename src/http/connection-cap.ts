import type { Server } from "node:http";
import { normalizeIP } from "@fastify/rate-limit";
import ipaddr from "ipaddr.js";

/**
 * At most `max` open sockets per client address (IPv6: per /64, as the failed-key budget counts),
 * checked the moment a socket connects: the one over the cap is destroyed before it costs more than
 * its accept. Without it one address could hold all of MAX_CONNECTIONS with half-open sockets.
 * Sockets from a trusted proxy (TRUST_PROXY) are many clients' and are not capped here.
 */
export function capConnectionsPerAddress(server: Server, max: number, trustProxy: boolean | number | string[]): void {
  const isTrustedProxy = trustedPeer(trustProxy);
  const open = new Map<string, number>();
  server.on("connection", (socket) => {
    const peer = socket.remoteAddress;
    if (peer === undefined || isTrustedProxy(peer)) return;
    const address = normalizeIP(peer);
    const count = open.get(address) ?? 0;
    if (count >= max) {
      socket.destroy();
      return;
    }
    open.set(address, count + 1);
    socket.once("close", () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}

/**
 * Whether a socket's peer is a proxy TRUST_PROXY names, as Fastify reads it for the client address:
 * `true` or a hop count of one or more trusts the peer, whoever it is; a list trusts its addresses
 * and CIDR ranges.
 */
function trustedPeer(trustProxy: boolean | number | string[]): (address: string) => boolean {
  if (typeof trustProxy === "boolean") return () => trustProxy;
  if (typeof trustProxy === "number") return () => trustProxy > 0;
  const ranges = trustProxy.map((entry) =>
    entry.includes("/") ? ipaddr.parseCIDR(entry) : ipaddr.parseCIDR(`${entry}/${entry.includes(":") ? 128 : 32}`),
  );
  return (address) => {
    if (!ipaddr.isValid(address)) return false;
    const parsed = ipaddr.process(address);
    return ranges.some(([range, bits]) => parsed.kind() === range.kind() && parsed.match(range, bits));
  };
}
