import { z } from "zod";

/**
 * What the service and the sandbox host say to each other over the host's Unix socket: one JSON
 * request per connection, one JSON line back. The host offers three operations and nothing else,
 * because it runs as root: whatever it can be asked is what a compromised service could ask.
 */
export const HostRequestSchema = z.discriminatedUnion("op", [
  z.strictObject({ op: z.literal("create"), secret: z.string() }),
  z.strictObject({ op: z.literal("destroy"), secret: z.string(), id: z.string().regex(/^[0-9a-f]{10}$/) }),
  z.strictObject({ op: z.literal("list"), secret: z.string() }),
]);
export type HostRequest = z.infer<typeof HostRequestSchema>;

const HostSandboxSchema = z.object({
  id: z.string(),
  /** The engine's socket, which the service's group may use. */
  engineSocket: z.string(),
  createdAt: z.iso.datetime(),
  /** False when no process is left in its cgroups: the engine died, and it is only waiting to be reaped. */
  running: z.boolean(),
});
export type HostSandbox = z.infer<typeof HostSandboxSchema>;

const HOST_ERROR_CODES = ["capacity", "not-found", "refused", "failed"] as const;
export type HostErrorCode = (typeof HOST_ERROR_CODES)[number];

export const HostResponseSchema = z.union([
  z.object({ ok: z.literal(true), sandbox: HostSandboxSchema }),
  z.object({ ok: z.literal(true), sandboxes: z.array(HostSandboxSchema) }),
  z.object({ ok: z.literal(true), destroyed: z.string() }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.enum(HOST_ERROR_CODES), message: z.string() }) }),
]);
export type HostResponse = z.infer<typeof HostResponseSchema>;
