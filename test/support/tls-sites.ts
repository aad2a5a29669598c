import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

/**
 * Web sites with names of their own over https, on loopback: what a browser needs to see an LMS and
 * the tool as two sites (cross-site iframes, partitioned cookies, Secure cookies, Fetch Metadata).
 * Each site is a TLS front for a plain-http server on 127.0.0.1, saying to it what a reverse proxy
 * says (X-Forwarded-Proto, X-Forwarded-Host). The names resolve only inside a chromium launched with
 * `hostResolverFlag`, and its certificate is self-signed: the browser context ignores HTTPS errors.
 */
export const SITE_DOMAIN = "test";

export interface TlsSite {
  /** https://<name>.test:<port> */
  origin: string;
  close(): Promise<void>;
}

export interface TlsSites {
  front(name: string, backend: string): Promise<TlsSite>;
  close(): Promise<void>;
}

/** The chromium flag that sends every *.test name to loopback. */
export const hostResolverFlag = `--host-resolver-rules=MAP *.${SITE_DOMAIN} 127.0.0.1`;

/** One self-signed certificate for every *.test name, made with openssl, for the sites it fronts. */
export async function startTlsSites(): Promise<TlsSites> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "tls-sites-"));
  const key = path.join(dir, "site.key");
  const cert = path.join(dir, "site.crt");
  await promisify(execFile)(
    "openssl",
    // biome-ignore format: one openssl line
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", `/CN=*.${SITE_DOMAIN}`, "-addext", `subjectAltName=DNS:*.${SITE_DOMAIN}`],
    { timeout: 30_000 },
  );
  const credentials = { key: await readFile(key), cert: await readFile(cert) };
  const servers: Server[] = [];

  return {
    async front(name, backend) {
      const target = new URL(backend);
      const server = createServer(credentials, (incoming, outgoing) => {
        const forwarded = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method: incoming.method,
            path: incoming.url,
            headers: { ...incoming.headers, "x-forwarded-proto": "https", "x-forwarded-host": incoming.headers.host },
          },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
          },
        );
        forwarded.on("error", () => {
          if (!outgoing.headersSent) outgoing.writeHead(502);
          outgoing.end();
        });
        incoming.pipe(forwarded);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      servers.push(server);
      const { port } = server.address() as AddressInfo;
      return {
        origin: `https://${name}.${SITE_DOMAIN}:${port}`,
        close: () => closeServer(server),
      };
    },
    async close() {
      await Promise.all(servers.map(closeServer));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
