import { createHash, timingSafeEqual } from "node:crypto";
import { chmod, chown, mkdir, rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { HostRequestSchema, type HostResponse } from "../sandbox/host-protocol.js";
import { HostError, type RootlessSandboxes } from "./rootless-sandboxes.js";

const MAX_REQUEST_BYTES = 4096;

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The sandbox host's only door: a Unix socket that root owns and the service's group may use (0660
 * in a 0750 folder), and a shared secret in every request. It answers create, destroy and list, and
 * nothing else; the service decides who gets which sandbox, the host only what exists.
 */
export async function serveSandboxHost(options: {
  socketPath: string;
  secret: string;
  serviceGid: number;
  sandboxes: RootlessSandboxes;
  log: (line: string) => void;
}): Promise<{ close(): Promise<void> }> {
  const { socketPath, secret, sandboxes, log } = options;
  await mkdir(path.dirname(socketPath), { recursive: true });
  await chown(path.dirname(socketPath), 0, options.serviceGid);
  await chmod(path.dirname(socketPath), 0o750);
  await rm(socketPath, { force: true });

  async function answer(text: string): Promise<HostResponse> {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, error: { code: "refused", message: "expected one JSON request" } };
    }
    const parsed = HostRequestSchema.safeParse(json);
    if (!parsed.success)
      return { ok: false, error: { code: "refused", message: "not a create, destroy or list request" } };
    const request = parsed.data;
    if (!sameSecret(request.secret, secret)) return { ok: false, error: { code: "refused", message: "wrong secret" } };
    try {
      switch (request.op) {
        case "create":
          return { ok: true, sandbox: await sandboxes.create() };
        case "destroy":
          await sandboxes.destroy(request.id);
          return { ok: true, destroyed: request.id };
        case "list":
          return { ok: true, sandboxes: await sandboxes.list() };
      }
    } catch (error) {
      if (error instanceof HostError) return { ok: false, error: { code: error.code, message: error.message } };
      log(`request ${request.op} failed: ${String(error)}`);
      return { ok: false, error: { code: "failed", message: "the sandbox host failed; see its log" } };
    }
  }

  const server = net.createServer((socket) => {
    let received = "";
    socket.setEncoding("utf8");
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (received.length > MAX_REQUEST_BYTES) return socket.destroy();
      const end = received.indexOf("\n");
      if (end < 0) return;
      socket.removeAllListeners("data");
      void answer(received.slice(0, end)).then((response) => socket.end(`${JSON.stringify(response)}\n`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, resolve);
  });
  await chown(socketPath, 0, options.serviceGid);
  await chmod(socketPath, 0o660);
  log(`listening on ${socketPath}`);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}
