import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";

/**
 * POSTs `body` to `url` over a connection to `pinned`, whatever the host name resolves to by now.
 * The URL's host still goes into the Host header and into TLS (server name and certificate check),
 * so HTTPS verifies the name that was registered. Redirects are not followed. Each delivery opens its
 * own connection (`agent: false`): a pooled socket would be reused by host name, not by checked address.
 * Resolves with the receiver's status code without reading its body.
 */
export function postToPinnedAddress(
  url: string,
  pinned: { address: string; family: number },
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<number> {
  // net.connect asks for every address when it races IPv4 and IPv6 (autoSelectFamily), else for one.
  const lookup = ((_hostname, options, callback) => {
    if (options.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  }) as LookupFunction;
  const request = new URL(url).protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        lookup,
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        resolve(response.statusCode ?? 0);
        response.destroy();
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}
