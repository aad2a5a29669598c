import { describe, expect, it } from "vitest";
import { demultiplexDockerStream } from "../../src/docker/stream.js";

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe("demultiplexDockerStream", () => {
  it("joins stdout and stderr frames in order", () => {
    const bytes = Buffer.concat([frame(1, "hola\n"), frame(2, "error\n"), frame(1, "adiós\n")]);
    expect(demultiplexDockerStream(bytes)).toBe("hola\nerror\nadiós\n");
  });

  it("passes a TTY container's raw output through", () => {
    expect(demultiplexDockerStream(Buffer.from("/ # ls\r\nbin\r\n"))).toBe("/ # ls\r\nbin\r\n");
  });

  it("keeps what arrived of a frame cut off by a byte cap", () => {
    const bytes = Buffer.concat([frame(1, "completo\n"), frame(1, "cortado a medias\n")]);
    expect(demultiplexDockerStream(bytes.subarray(0, bytes.length - 8))).toBe("completo\ncortado a");
  });
});
