import type { Duplex } from "node:stream";
import Docker from "dockerode";
import { requestFailureOf } from "./engine-answers.js";

/** The container a learner's terminal runs in, in their own sandbox's engine. */
const CONSOLE_CONTAINER = "aprendiendo-terminal";

export interface TerminalSession {
  /** What the learner types goes in; what the terminal shows comes out (a TTY: one raw stream). */
  stream: Duplex;
  resize(size: { cols: number; rows: number }): Promise<void>;
  close(): void;
}

/**
 * A shell with a TTY in the learner's console container, which is made (or started again) on the
 * learner's own engine if it is missing: a learner may remove it like any of their containers. It
 * runs the console image (`sh` and the docker CLI) with the engine's own socket mounted, so the
 * learner's `docker` reaches their engine and nothing else: the shell is inside a container inside
 * the sandbox, under every limit and namespace the sandbox has. `socketInSandbox` is the engine's
 * socket as the engine itself sees it.
 */
export async function openTerminal(
  engineSocket: string,
  options: { image: string; socketInSandbox: string; timeoutMs: number; size: { cols: number; rows: number } },
): Promise<TerminalSession> {
  const docker = new Docker({ socketPath: engineSocket, timeout: options.timeoutMs });
  const container = await consoleContainer(docker, options);
  const exec = await container.exec({
    Cmd: ["sh", "-l"],
    Env: ["TERM=xterm-256color", "PS1=\\w \\$ "],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    ConsoleSize: [options.size.rows, options.size.cols],
  });
  const stream = await exec.start({ hijack: true, stdin: true, Tty: true });
  return {
    stream,
    async resize({ cols, rows }) {
      await exec.resize({ h: rows, w: cols });
    },
    // Closing the connection closes the TTY: the engine hangs up the shell and what it runs in the foreground.
    close() {
      stream.destroy();
    },
  };
}

async function consoleContainer(docker: Docker, options: { image: string; socketInSandbox: string }) {
  const container = docker.getContainer(CONSOLE_CONTAINER);
  try {
    const inspect = await container.inspect();
    if (!inspect.State.Running) await container.start();
    return container;
  } catch (error) {
    if (requestFailureOf(error).statusCode !== 404) throw error;
  }
  try {
    await docker.createContainer({
      name: CONSOLE_CONTAINER,
      Image: options.image,
      Entrypoint: ["tail", "-f", "/dev/null"],
      Cmd: [],
      Labels: { "aprendiendo.terminal": "1" },
      // The engine makes the working directory at create, which an exec's would not.
      WorkingDir: "/root",
      HostConfig: { Binds: [`${options.socketInSandbox}:/var/run/docker.sock`] },
    });
  } catch (error) {
    // A second terminal of the same learner made it first.
    if (requestFailureOf(error).statusCode !== 409) throw error;
  }
  const inspect = await container.inspect();
  if (!inspect.State.Running) await container.start().catch(ignoreAlreadyStarted);
  return container;
}

function ignoreAlreadyStarted(error: unknown): void {
  if (requestFailureOf(error).statusCode !== 304) throw error;
}
