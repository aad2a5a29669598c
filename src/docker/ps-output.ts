import type { ProcessList } from "./container-facts.js";

/**
 * The command that lists a container's processes from inside it, where the engine cannot (`docker top`
 * on a rootless engine on cgroup v1). Its first line is its own pid: `exec` keeps the shell's pid for
 * `ps`, so the row that is the listing itself can be left out, as `docker top` would never show it.
 * `-A -o pid,user,args` means the same to BusyBox's `ps` and to procps'.
 */
export const PS_ARGV = ["sh", "-c", 'echo "$$"; exec ps -A -o pid,user,args'] as const;

/**
 * `ps` output in the shape of `docker top`'s answer: the header's words as titles, and per row one
 * field per title, the last (the command) with its spaces. A row cut off by an output limit is dropped.
 */
export function processListFromPs(text: string, { truncated }: { truncated: boolean }): ProcessList {
  const lines = text.split("\n");
  if (truncated) lines.pop();
  const [self, header, ...rows] = lines;
  const titles = (header ?? "").trim().split(/\s+/).filter(Boolean);
  const selfPid = (self ?? "").trim();
  const processes: string[][] = [];
  for (const row of rows) {
    if (row.trim() === "") continue;
    const fields = splitFields(row.trim(), titles.length);
    if (fields[0] === selfPid) continue;
    processes.push(fields);
  }
  return { titles, processes };
}

/** The first `count - 1` whitespace-separated fields, then the rest of the line as the last. */
function splitFields(line: string, count: number): string[] {
  const fields: string[] = [];
  let rest = line;
  while (fields.length < count - 1) {
    const match = /^(\S+)\s*/.exec(rest);
    const field = match?.[1];
    if (match === null || field === undefined) break;
    fields.push(field);
    rest = rest.slice(match[0].length);
  }
  fields.push(rest);
  return fields;
}
