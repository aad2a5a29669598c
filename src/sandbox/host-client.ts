import net from "node:net";
import {
  type HostErrorCode,
  type HostRequest,
  type HostResponse,
  HostResponseSchema,
  type HostSandbox,
} from "./host-protocol.js";

/** A refusal or failure the sandbox host answered with, or its socket's silence. */
export class SandboxHostError extends Error {
  constructor(
    readonly code: HostErrorCode | "unreachable",
    message: string,
  ) {
    super(message);
  }
}

export interface SandboxHostClient {
  create(): Promise<HostSandbox>;
  destroy(id: string): Promise<void>;
  list(): Promise<HostSandbox[]>;
}

/** The service's side of the sandbox host's socket (src/sandbox-host/host-server.ts). */
export function createSandboxHostClient(options: {
  socketPath: string;
  secret: string;
  timeoutMs?: number;
}): SandboxHostClient {
  const timeoutMs = options.timeoutMs ?? 90_000;

  function ask(request: Omit<HostRequest, "secret"> & { id?: string }): Promise<HostResponse> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(options.socketPath);
      let received = "";
      const fail = (message: string) => {
        socket.destroy();
        reject(new SandboxHostError("unreachable", message));
      };
      socket.setTimeout(timeoutMs, () => fail(`the sandbox host did not answer ${request.op} within ${timeoutMs} ms`));
      socket.setEncoding("utf8");
      socket.on("error", (error) => fail(`the sandbox host's socket ${options.socketPath}: ${error.message}`));
      socket.on("data", (chunk: string) => {
        received += chunk;
      });
      socket.on("end", () => {
        const parsed = HostResponseSchema.safeParse(JSON.parse(received || "null"));
        if (!parsed.success) return fail("the sandbox host answered something that is not a response");
        if (!parsed.data.ok) return reject(new SandboxHostError(parsed.data.error.code, parsed.data.error.message));
        resolve(parsed.data);
      });
      socket.write(`${JSON.stringify({ ...request, secret: options.secret })}\n`);
    });
  }

  return {
    async create() {
      const response = await ask({ op: "create" });
      if (!("sandbox" in response)) throw new SandboxHostError("failed", "create answered without a sandbox");
      return response.sandbox;
    },
    async destroy(id) {
      await ask({ op: "destroy", id });
    },
    async list() {
      const response = await ask({ op: "list" });
      if (!("sandboxes" in response)) throw new SandboxHostError("failed", "list answered without sandboxes");
      return response.sandboxes;
    },
  };
}
