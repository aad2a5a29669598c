import { randomBytes } from "node:crypto";
import type Docker from "dockerode";
import { z } from "zod";
import { type BoundedOutput, type OutputFilter, readDecoded } from "./bounded-output.js";
import { parseAnswer, streamAnswer, throwContainerStateError } from "./engine-answers.js";
import type { EngineClient } from "./engine-client.js";

export interface ExecOutcome extends BoundedOutput {
  /** Null when the command did not finish within its timeout. */
  exitCode: number | null;
  timedOut: boolean;
  /** The deadline the command ran under: the caller's timeout, at most the engine's execTimeoutMs. */
  deadlineMs: number;
}

/** The part of an exec's inspect that `execFixed` reads: null while the command still runs. */
const ExecInspectSchema = z.object({ ExitCode: z.number().int().nullish() });

export async function execFixed(
  engine: EngineClient,
  name: string,
  argv: readonly string[],
  { timeoutMs, maxBytes }: { timeoutMs: number; maxBytes: number },
): Promise<ExecOutcome> {
  const { target } = await engine.container(name);
  const deadlineMs = Math.min(timeoutMs, engine.execTimeoutMs ?? timeoutMs);
  // One slot and one deadline for the calls an exec takes (create, start, inspect, or the kill).
  return engine.call(
    `exec in ${name}`,
    async (signal) => {
      try {
        // The deadline runs from the command's start, when `sh` tells its pid: under a busy engine,
        // a deadline that ran out before then would leave a command nobody can name to kill.
        const commandDeadline = new AbortController();
        let deadlineTimer: NodeJS.Timeout | undefined;
        const pidLine = new PidLine(() => {
          deadlineTimer = setTimeout(() => commandDeadline.abort(), deadlineMs);
        });
        const exec = await target.exec({
          Cmd: pidLine.wrap(argv),
          AttachStdout: true,
          AttachStderr: true,
          Tty: false,
          abortSignal: signal,
        });
        const started = await exec.start({ hijack: false, stdin: false, abortSignal: signal });
        const output = await readDecoded(streamAnswer(started, `exec in ${name}`), {
          keep: "head",
          maxBytes,
          ceilingBytes: Number.POSITIVE_INFINITY,
          signal: AbortSignal.any([signal, commandDeadline.signal]),
          filter: pidLine,
        }).finally(() => clearTimeout(deadlineTimer));
        const { aborted, ...bounded } = output;
        if (aborted && !signal.aborted) {
          if (pidLine.pid !== undefined) await killProcessGroup(target, pidLine.pid, signal);
          return { ...bounded, exitCode: null, timedOut: true, deadlineMs };
        }
        if (aborted) throw signal.reason;
        const inspected = parseAnswer(
          ExecInspectSchema,
          await exec.inspect({ abortSignal: signal }),
          `exec inspect in ${name}`,
        );
        return { ...bounded, exitCode: inspected.ExitCode ?? null, timedOut: false, deadlineMs };
      } catch (error) {
        throwContainerStateError(name, error);
      }
    },
    engine.timeoutMs + deadlineMs,
  );
}

/**
 * The first line an exec'd command's `sh` writes: a nonce and its own pid, as the container's pid
 * namespace numbers it. `exec` keeps that pid for the command, and the engine starts every exec in a
 * process group of its own, so the pid names the group to kill. The line is taken out of the output
 * wherever it falls (stderr may come first); the nonce keeps the command's own output from posing as it.
 */
class PidLine implements OutputFilter {
  pid: number | undefined;
  constructor(
    /** Called once: when the pid is read, or when the line is given up on. */
    private readonly onStart: () => void,
  ) {}
  private readonly nonce = `aprendiendo-exec-${randomBytes(8).toString("hex")}`;
  private readonly pattern = new RegExp(`${this.nonce} (\\d+)\\n`);
  private held: Buffer | undefined = Buffer.alloc(0);

  wrap(argv: readonly string[]): string[] {
    return ["sh", "-c", 'echo "$0 $$"; exec "$@"', this.nonce, ...argv];
  }

  push(payloads: Buffer[]): Buffer[] {
    if (this.held === undefined) return payloads;
    const held = Buffer.concat([this.held, ...payloads]);
    const text = held.toString("latin1");
    const found = this.pattern.exec(text);
    if (found) {
      this.pid = Number(found[1]);
      this.held = undefined;
      this.onStart();
      return [held.subarray(0, found.index), held.subarray(found.index + found[0].length)];
    }
    // A wrapper that never spoke (no `sh` in the image: the engine's error is the output) is given up on.
    if (held.length > PID_LINE_MAX_WAIT_BYTES) {
      this.onStart();
      return this.end([held]);
    }
    this.held = held;
    return [];
  }

  end(payloads: Buffer[] = []): Buffer[] {
    const rest = this.held ? [this.held, ...payloads] : payloads;
    this.held = undefined;
    return rest;
  }
}

const PID_LINE_MAX_WAIT_BYTES = 4096;

/**
 * Kills an exec'd command past its deadline with a second exec, `kill -KILL` of its process group
 * (its children too), else of its pid alone. `sh`'s own `kill` needs no binary the image may lack.
 */
async function killProcessGroup(target: Docker.Container, pid: number, signal: AbortSignal): Promise<void> {
  const kill = await target.exec({
    Cmd: ["sh", "-c", 'kill -KILL -- "-$0" 2>/dev/null || kill -KILL "$0"', String(pid)],
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    abortSignal: signal,
  });
  const started = await kill.start({ hijack: false, stdin: false, abortSignal: signal });
  await readDecoded(streamAnswer(started, "kill of a command past its deadline"), {
    keep: "head",
    maxBytes: 1024,
    ceilingBytes: 64 * 1024,
    signal,
  });
}
