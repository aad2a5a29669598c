import { connect, createServer, type Socket } from "node:net";

/**
 * A TCP relay between a process and PostgreSQL that counts the SQL statements the process
 * sends: one per simple Query ('Q') and one per Execute ('E') of the extended protocol that
 * pg uses. No code in the service changes; it only gets this relay's address.
 */
export async function startStatementCounter(target: { host: string; port: number }) {
  let statements = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    // As pg does on its own socket: without it, a reply split over segments waits for a delayed ACK (40 ms).
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    sockets.add(client).add(upstream);
    let buffered = Buffer.alloc(0);
    let startedUp = false;
    client.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      // The start-up message has no type byte: an int32 length first. Every later one is type + length.
      for (;;) {
        if (!startedUp) {
          if (buffered.length < 4) break;
          const length = buffered.readInt32BE(0);
          if (buffered.length < length) break;
          const code = buffered.readInt32BE(4);
          // SSLRequest (80877103) is answered 'N' by the server and followed by the real start-up message.
          if (code !== 80877103) startedUp = true;
          buffered = buffered.subarray(length);
          continue;
        }
        if (buffered.length < 5) break;
        const length = buffered.readInt32BE(1);
        if (buffered.length < length + 1) break;
        const type = String.fromCharCode(buffered[0] as number);
        if (type === "Q" || type === "E") statements++;
        buffered = buffered.subarray(length + 1);
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    /** The same URL, through the relay. */
    relay(url: string): string {
      const parsed = new URL(url);
      parsed.hostname = "127.0.0.1";
      parsed.port = String(port);
      return parsed.toString();
    },
    statements: () => statements,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
