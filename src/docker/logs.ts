import { type BoundedOutput, readDecoded } from "./bounded-output.js";
import { streamAnswer, throwContainerStateError } from "./engine-answers.js";
import type { EngineClient } from "./engine-client.js";

/** Most raw bytes a log tail reads before giving up on reaching the end (very long lines). */
const LOGS_READ_CEILING_BYTES = 8 * 1024 * 1024;

/** The container's newest `lines` log lines, stdout and stderr, at most `maxBytes` of them (the newest). */
export async function logsTail(
  engine: EngineClient,
  name: string,
  { lines, maxBytes }: { lines: number; maxBytes: number },
): Promise<BoundedOutput> {
  const { docker, target } = await engine.container(name);
  return engine.call(`logs ${name}`, async (signal) => {
    try {
      // dockerode buffers the whole body unless it is a stream: ask for one and keep only the newest bytes.
      const answer = await new Promise<unknown>((resolve, reject) => {
        docker.modem.dial(
          {
            path: `/containers/${target.id}/logs?`,
            method: "GET",
            isStream: true,
            abortSignal: signal,
            statusCodes: { 200: true, 404: "no such container", 500: "server error" },
            options: { stdout: true, stderr: true, follow: false, tail: lines },
          },
          (error, data) => (error ? reject(error) : resolve(data)),
        );
      });
      const output = await readDecoded(streamAnswer(answer, `logs ${name}`), {
        keep: "tail",
        maxBytes,
        ceilingBytes: LOGS_READ_CEILING_BYTES,
        signal,
      });
      if (output.aborted) throw signal.reason;
      return { text: output.text, truncated: output.truncated };
    } catch (error) {
      throwContainerStateError(name, error);
    }
  });
}
