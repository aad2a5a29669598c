// The way out of the test lab for one host only (the npm registry), for the test that builds the
// service's image, whose `npm ci` needs it. The lab's network namespace has no route out; a Unix
// socket, reachable from both namespaces, joins the two halves (scripts/test-lab.sh starts them):
//
//   node scripts/egress-proxy.mjs serve SOCKET HOST     in the host's network: an HTTP CONNECT proxy on
//                                                       SOCKET that opens tunnels to HOST:443 only
//   node scripts/egress-proxy.mjs forward ADDR:PORT SOCKET   in the lab's network: TCP to SOCKET
import http from "node:http";
import net from "node:net";

const [mode, ...args] = process.argv.slice(2);

/** Pipes two sockets into each other; an error on either side closes both. */
function join(a, b) {
  a.pipe(b).pipe(a);
  const close = () => {
    a.destroy();
    b.destroy();
  };
  a.on("error", close);
  b.on("error", close);
}

if (mode === "serve") {
  const [socketPath, allowedHost] = args;
  const server = http.createServer((_request, response) => {
    response.writeHead(405, { "content-type": "text/plain" }).end("CONNECT only\n");
  });
  server.on("connect", (request, client, head) => {
    const [host, port] = (request.url ?? "").split(":");
    if (host !== allowedHost || port !== "443") {
      console.warn(`egress-proxy: refused CONNECT ${request.url}`);
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = net.connect(443, host, () => client.write("HTTP/1.1 200 Connection Established\r\n\r\n"));
    upstream.write(head);
    join(upstream, client);
  });
  server.listen(socketPath, () => console.log(`egress-proxy: tunnels to ${allowedHost}:443 on ${socketPath}`));
} else if (mode === "forward") {
  const [address, socketPath] = args;
  const [host, port] = address.split(":");
  net
    .createServer((client) => join(net.connect(socketPath), client))
    .listen(Number(port), host, () => console.log(`egress-proxy: ${address} forwards to ${socketPath}`));
} else {
  console.error("usage: egress-proxy.mjs serve SOCKET HOST | forward ADDR:PORT SOCKET");
  process.exit(2);
}
