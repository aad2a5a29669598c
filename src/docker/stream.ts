/**
 * Turns Docker's multiplexed stdout/stderr stream (8-byte frame headers: stream type 0/1/2,
 * three zero bytes, big-endian length) into text. Containers started with a TTY send raw
 * bytes instead; a first header that is not a valid frame means exactly that.
 * A frame cut off by a byte cap keeps the bytes that did arrive.
 */
export function demultiplexDockerStream(bytes: Buffer): string {
  if (!looksMultiplexed(bytes)) return bytes.toString("utf8");
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    const streamType = bytes.readUInt8(offset);
    if (streamType > 2) break;
    const length = bytes.readUInt32BE(offset + 4);
    const start = offset + 8;
    parts.push(bytes.subarray(start, Math.min(start + length, bytes.length)));
    offset = start + length;
  }
  return Buffer.concat(parts).toString("utf8");
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
