/**
 * Decodes Docker's multiplexed stdout/stderr stream (8-byte frame headers: stream type 0/1/2,
 * three zero bytes, big-endian length) chunk by chunk. Containers started with a TTY send raw
 * bytes instead; a first header that is not a valid frame means exactly that.
 */
export class DockerStreamDecoder {
  private mode: "unknown" | "multiplexed" | "raw" = "unknown";
  private pending: Buffer = Buffer.alloc(0);
  /** Payload bytes still owed by the frame being read. */
  private remaining = 0;

  push(chunk: Buffer): Buffer[] {
    if (this.mode === "raw") return [chunk];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.mode === "unknown") {
      if (this.pending.length < 8) return [];
      this.mode = looksMultiplexed(this.pending) ? "multiplexed" : "raw";
      if (this.mode === "raw") {
        const all = this.pending;
        this.pending = Buffer.alloc(0);
        return [all];
      }
    }
    const payloads: Buffer[] = [];
    let offset = 0;
    for (;;) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, this.pending.length - offset);
        if (take === 0) break;
        payloads.push(this.pending.subarray(offset, offset + take));
        offset += take;
        this.remaining -= take;
        continue;
      }
      if (this.pending.length - offset < 8) break;
      if (this.pending.readUInt8(offset) > 2) {
        // Out of step with the protocol: hand over the rest as it is rather than drop it.
        this.mode = "raw";
        payloads.push(this.pending.subarray(offset));
        offset = this.pending.length;
        break;
      }
      this.remaining = this.pending.readUInt32BE(offset + 4);
      offset += 8;
    }
    this.pending = this.pending.subarray(offset);
    return payloads;
  }

  /** What is left when the stream ends: a short raw output that never filled a header. */
  end(): Buffer[] {
    const rest = this.mode === "unknown" && this.pending.length > 0 ? [this.pending] : [];
    this.pending = Buffer.alloc(0);
    return rest;
  }
}

/** The whole text of a complete (or cut-off) stream; a cut-off frame keeps the bytes that arrived. */
export function demultiplexDockerStream(bytes: Buffer): string {
  const decoder = new DockerStreamDecoder();
  return Buffer.concat([...decoder.push(bytes), ...decoder.end()]).toString("utf8");
}

function looksMultiplexed(bytes: Buffer): boolean {
  return (
    bytes.length >= 8 &&
    bytes.readUInt8(0) <= 2 &&
    bytes.readUInt8(1) === 0 &&
    bytes.readUInt8(2) === 0 &&
    bytes.readUInt8(3) === 0
  );
}
