import type { Readable } from "node:stream";
import { DockerStreamDecoder } from "./stream.js";

export interface BoundedOutput {
  text: string;
  truncated: boolean;
}

/** Takes something out of decoded output as it streams; `end` hands over whatever it still holds. */
export interface OutputFilter {
  push(payloads: Buffer[]): Buffer[];
  end(payloads: Buffer[]): Buffer[];
}

/**
 * Decodes a Docker output stream and keeps `maxBytes` of it: the first ones (`head`, for exec
 * output) or the newest ones (`tail`, for logs); the rest is read and dropped, so memory stays
 * bounded. Stops at the end, after `ceilingBytes` raw bytes, or when the signal fires.
 */
export async function readDecoded(
  stream: Readable,
  options: {
    keep: "head" | "tail";
    maxBytes: number;
    ceilingBytes: number;
    signal: AbortSignal;
    filter?: OutputFilter;
  },
): Promise<BoundedOutput & { aborted: boolean }> {
  const decoder = new DockerStreamDecoder();
  const filter = options.filter ?? { push: (payloads: Buffer[]) => payloads, end: (payloads: Buffer[]) => payloads };
  let kept: Buffer[] = [];
  let keptBytes = 0;
  let rawBytes = 0;
  let dropped = false;

  const keep = (payloads: Buffer[]) => {
    for (const payload of payloads) {
      kept.push(payload);
      keptBytes += payload.length;
    }
    if (keptBytes <= options.maxBytes) return;
    const all = Buffer.concat(kept);
    const window =
      options.keep === "head" ? all.subarray(0, options.maxBytes) : all.subarray(all.length - options.maxBytes);
    kept = [window];
    keptBytes = window.length;
    dropped = true;
  };

  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (aborted: boolean, readToEnd: boolean) => {
      if (settled) return;
      settled = true;
      options.signal.removeEventListener("abort", onAbort);
      stream.removeAllListeners("data");
      stream.destroy();
      keep(filter.end(readToEnd ? decoder.end() : []));
      resolve({ text: Buffer.concat(kept).toString("utf8"), truncated: dropped || !readToEnd, aborted });
    };
    const onAbort = () => finish(true, false);
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener("abort", onAbort, { once: true });
    stream.on("data", (chunk: Buffer) => {
      rawBytes += chunk.length;
      keep(filter.push(decoder.push(chunk)));
      if (rawBytes >= options.ceilingBytes) finish(false, false);
    });
    stream.once("end", () => finish(false, true));
    stream.once("error", (error) => {
      if (settled) return;
      if (options.signal.aborted) return finish(true, false);
      settled = true;
      options.signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
}
