import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { openTerminal, type TerminalSession } from "../../../docker/terminal.js";
import { NotFound, SessionRefused } from "../../../errors/domain-errors.js";
import { requestOrigin } from "../../../http/session-cookie.js";
import { clientOf } from "../../../plugins/auth.js";
import type { SandboxOwner } from "../../../sandbox/sandbox-provider.js";
import { LearnerParamsSchema } from "./learner-params.js";

const Size = { cols: z.coerce.number().int().min(10).max(500), rows: z.coerce.number().int().min(2).max(200) };

/** What the page sends: keystrokes (and pastes), or the terminal's new size. */
const TerminalMessageSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("input"), data: z.string().max(65_536) }),
  z.strictObject({ type: z.literal("resize"), ...Size }),
]);

/** How often typing renews the sandbox's idle time, at most. */
const TOUCH_EVERY_MS = 10_000;

/**
 * A terminal into the learner's sandbox, over a WebSocket. The browser's WebSocket cannot send an
 * Authorization header, so a page authenticates with the session cookie, and a browser sends it to
 * any site's WebSocket too (the cookie is SameSite=None for LMS iframes): the Origin must be ours.
 * Frames from the page are JSON (TerminalMessageSchema); frames to it are the terminal's bytes
 * (binary), and JSON text `{"type":"ended","reason":"exited"|"reaped"|"failed"}` before it closes.
 */
export const sandboxTerminalRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    "/v1/learners/:learnerId/sandbox/terminal",
    {
      websocket: true,
      config: { scope: "submissions:write", learnerSession: "own-learner" },
      schema: {
        hide: true,
        params: LearnerParamsSchema,
        querystring: z.object({ cols: Size.cols.default(80), rows: Size.rows.default(24) }),
      },
      preHandler: async (request) => {
        const origin = request.headers.origin;
        if (origin !== undefined && origin !== requestOrigin(request)) {
          throw new SessionRefused(`A terminal is not opened from ${origin}.`);
        }
        if (!app.sandboxes?.find(ownerOf(request))) {
          throw new NotFound(`Learner "${request.params.learnerId}" has no sandbox now (PUT …/sandbox makes one).`);
        }
      },
    },
    async (socket, request) => {
      const owner = ownerOf(request);
      const sandbox = app.sandboxes?.touch(owner);
      const end = (reason: "exited" | "reaped" | "failed") => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: "ended", reason }));
        socket.close(1000);
      };
      // Messages that arrive while the shell starts are kept, in order.
      const early: unknown[] = [];
      socket.on("message", (data, isBinary) => early.push(isBinary ? null : String(data)));
      let terminal: TerminalSession;
      try {
        if (!sandbox) throw new Error("the sandbox is gone");
        terminal = await openTerminal(sandbox.engineSocket, {
          image: app.config.sandboxes.consoleImage,
          // The sandbox host binds the engine's runtime folder at the same path inside the sandbox's root.
          socketInSandbox: sandbox.engineSocket,
          timeoutMs: app.config.docker.timeoutMs,
          size: request.query,
        });
      } catch (error) {
        request.log.warn({ err: error }, "the sandbox terminal could not start");
        return end(app.sandboxes?.find(owner)?.id === sandbox?.id ? "failed" : "reaped");
      }
      let touchedAt = Date.now();
      const receive = (text: unknown) => {
        const message = typeof text === "string" ? parseMessage(text) : undefined;
        if (!message) return socket.close(1008, "expected {type: input|resize}");
        if (message.type === "resize") {
          terminal.resize(message).catch(() => undefined);
          return;
        }
        terminal.stream.write(message.data);
        if (Date.now() - touchedAt > TOUCH_EVERY_MS) {
          touchedAt = Date.now();
          app.sandboxes?.touch(owner);
        }
      };
      socket.removeAllListeners("message");
      socket.on("message", (data, isBinary) => receive(isBinary ? null : String(data)));
      for (const text of early) receive(text);
      terminal.stream.on("data", (chunk: Buffer) => {
        if (socket.readyState === socket.OPEN) socket.send(chunk, { binary: true });
      });
      terminal.stream.on("error", () => undefined);
      terminal.stream.on("close", () => end(app.sandboxes?.find(owner)?.id === sandbox.id ? "exited" : "reaped"));
      socket.on("close", () => terminal.close());
    },
  );

  function ownerOf(request: { params: { learnerId: string } } & Parameters<typeof clientOf>[0]): SandboxOwner {
    return { clientId: clientOf(request).id, learnerId: request.params.learnerId };
  }
};

function parseMessage(text: string) {
  try {
    return TerminalMessageSchema.safeParse(JSON.parse(text)).data;
  } catch {
    return undefined;
  }
}
