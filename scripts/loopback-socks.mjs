// The test browser's way to the servers of a test run (scripts/test-lab.sh starts it). Chromium runs
// in a network namespace of its own, which holds nothing but its loopback: in the lab's namespace,
// every network an engine makes or removes changes an address, and Chromium then cancels whatever
// it has in flight with net::ERR_NETWORK_CHANGED (a module script of the page, mid-load). Chromium
// talks SOCKS5 to `egress-proxy.mjs forward` in its namespace, which joins this server's Unix
// socket; this server, in the lab's namespace, opens each connection on the lab's loopback.
//
//   node scripts/loopback-socks.mjs SOCKET
//
// Only loopback is reached: an IPv4 address in 127.0.0.0/8, or a name that test browsers map there
// (localhost, and *.test, which tls-sites' --host-resolver-rules maps to 127.0.0.1); anything else
// (chromium's own update checks) is refused. SOCKS5 without authentication, CONNECT only (RFC 1928).
import net from "node:net";

const [socketPath] = process.argv.slice(2);
if (!socketPath) {
  console.error("usage: loopback-socks.mjs SOCKET");
  process.exit(2);
}

const REPLY = { succeeded: 0, refused: 5, commandNotSupported: 7, addressNotSupported: 8 };

/** The loopback address a SOCKS5 request names, or undefined when it names anything else. */
function loopbackTarget(request) {
  const type = request[3];
  if (type === 1 && request.length >= 10) {
    const address = [...request.subarray(4, 8)].join(".");
    return address.startsWith("127.") ? { host: address, port: request.readUInt16BE(8) } : undefined;
  }
  if (type === 3 && request.length >= 5 + request[4] + 2) {
    const name = request
      .subarray(5, 5 + request[4])
      .toString("latin1")
      .toLowerCase();
    const port = request.readUInt16BE(5 + request[4]);
    // Chromium sends even an address as a name: `127.0.0.1` arrives as text.
    if (net.isIPv4(name)) return name.startsWith("127.") ? { host: name, port } : undefined;
    return name === "localhost" || name.endsWith(".test") ? { host: "127.0.0.1", port } : undefined;
  }
  return undefined;
}

const reply = (code) => Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);

net
  .createServer((client) => {
    client.on("error", () => client.destroy());
    client.once("data", (greeting) => {
      // VER 5 and its methods: "no authentication" (0) or nothing.
      if (greeting[0] !== 5 || !greeting.subarray(2, 2 + greeting[1]).includes(0)) {
        client.end(Buffer.from([5, 0xff]));
        return;
      }
      client.write(Buffer.from([5, 0]));
      client.once("data", (request) => {
        if (request[0] !== 5 || request[1] !== 1) {
          client.end(reply(REPLY.commandNotSupported));
          return;
        }
        const target = loopbackTarget(request);
        if (!target) {
          console.warn(`loopback-socks: refused a request beyond loopback (${request.subarray(3).toString("hex")})`);
          client.end(reply(REPLY.addressNotSupported));
          return;
        }
        const upstream = net.connect(target.port, target.host);
        let connected = false;
        upstream.once("connect", () => {
          connected = true;
          client.write(reply(REPLY.succeeded));
          upstream.pipe(client).pipe(upstream);
        });
        upstream.on("error", () => {
          if (connected) client.destroy();
          else client.end(reply(REPLY.refused));
        });
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
      });
    });
  })
  .listen(socketPath, () => console.log(`loopback-socks: SOCKS5 to the lab's loopback on ${socketPath}`));
