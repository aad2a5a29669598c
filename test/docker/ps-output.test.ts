import { describe, expect, it } from "vitest";
import { processListFromPs } from "../../src/docker/ps-output.js";

// What BusyBox's and procps' `ps -A -o pid,user,args` printed in a container, after the listing's own pid.
describe("processListFromPs", () => {
  it("reads BusyBox's columns, keeps the command's spaces, and leaves the listing itself out", () => {
    const text = [
      "7",
      "PID   USER     COMMAND",
      "    1 root     tail -f /dev/null",
      "    7 root     ps -A -o pid,user,args",
      "",
    ].join("\n");
    expect(processListFromPs(text, { truncated: false })).toEqual({
      titles: ["PID", "USER", "COMMAND"],
      processes: [["1", "root", "tail -f /dev/null"]],
    });
  });

  it("reads procps' header the same way, and drops a row an output limit cut off", () => {
    const text = ["42", "    PID USER     COMMAND", "      1 www-data nginx: master process", "     9 roo"].join("\n");
    expect(processListFromPs(text, { truncated: true })).toEqual({
      titles: ["PID", "USER", "COMMAND"],
      processes: [["1", "www-data", "nginx: master process"]],
    });
  });
});
