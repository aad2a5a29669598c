import { marked, type Tokens } from "marked";
import { isShellBlock, type NorunReason, parseCodeInfo } from "../../src/content/code-info.js";

/**
 * A lesson as a learner types it: the commands of its shell blocks in order, and the files its
 * `file=PATH` blocks ask them to write. What a command should do is read from what the lesson shows
 * after it: an error message means it must fail, `^C` means it runs until interrupted, `[y/N] y`
 * means the learner answers yes, and `/ # …` lines are typed into the terminal that `-it` opened.
 */
export type LessonStep =
  | { kind: "file"; path: string; content: string }
  | {
      kind: "run";
      command: string;
      expect: "success" | "failure";
      /** Typed into a terminal (`-it`), ending with `exit`. */
      terminalInput?: string;
      /** Runs until the learner presses Ctrl-C, like `docker logs -f`. */
      interrupt?: boolean;
      /** Answered to a confirmation prompt. */
      answer?: string;
    }
  | { kind: "skip"; reason: NorunReason; commands: string[] };

/** What the lesson prints when a command fails on purpose. "Unable to find image" is not one: a pull follows. */
const SHOWN_ERROR =
  /Error response from daemon|^docker: Error|^Error: No such|No such file or directory|can't|bad address|Read-only file system|Permission denied|Operation not permitted|not permitted|Killed$/m;
const FOLLOWS = /\blogs\b.*\s(-f|--follow)\b/;
const HOST_PROMPT = /^\s*\$\s+(.*)$/;
/** busybox's prompt inside a container: `/ # ls`, `/data # exit`. */
const CONTAINER_PROMPT = /^\/\S* # ?(.*)$/;

export function lessonSteps(markdown: string): LessonStep[] {
  const steps: LessonStep[] = [];
  for (const token of marked.lexer(markdown)) {
    if (token.type !== "code") continue;
    const { lang = "", text } = token as Tokens.Code;
    const info = parseCodeInfo(lang);
    if (info.file) {
      steps.push({ kind: "file", path: info.file, content: text.endsWith("\n") ? text : `${text}\n` });
      continue;
    }
    if (!isShellBlock(info.language)) continue;
    const runs = info.language === "console" ? consoleSteps(text) : shellSteps(text);
    if (info.norun) steps.push({ kind: "skip", reason: info.norun, commands: runs.map((run) => run.command) });
    else steps.push(...runs);
  }
  return steps;
}

type RunStep = Extract<LessonStep, { kind: "run" }>;

function shellSteps(text: string): RunStep[] {
  return joinContinuations(text.split("\n"))
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((command) => ({
      kind: "run",
      command,
      expect: "success",
      ...(FOLLOWS.test(command) ? { interrupt: true } : {}),
    }));
}

function consoleSteps(text: string): RunStep[] {
  const steps: { command: string; output: string[]; typed: string[] }[] = [];
  for (const line of joinContinuations(text.split("\n"))) {
    const host = HOST_PROMPT.exec(line);
    const current = steps.at(-1);
    if (host?.[1]) steps.push({ command: host[1].trim(), output: [], typed: [] });
    else if (current && CONTAINER_PROMPT.test(line)) current.typed.push(CONTAINER_PROMPT.exec(line)?.[1] ?? "");
    else current?.output.push(line);
  }
  return steps.map(({ command, output, typed }) => {
    const shown = output.join("\n");
    const step: RunStep = { kind: "run", command, expect: SHOWN_ERROR.test(shown) ? "failure" : "success" };
    if (/\s-(it|ti)\b/.test(command)) {
      const input = typed.filter((line) => line.trim());
      if (input.at(-1) !== "exit") input.push("exit");
      step.terminalInput = `${input.join("\n")}\n`;
    }
    if (/^\^C$/m.test(shown) || FOLLOWS.test(command)) step.interrupt = true;
    const answer = /\[y\/N\] (\w+)/.exec(shown)?.[1];
    if (answer) step.answer = answer;
    return step;
  });
}

/** A trailing backslash continues a command on the next line, in the shell and in a lesson. */
function joinContinuations(lines: string[]): string[] {
  const joined: string[] = [];
  let pending = "";
  for (const line of lines) {
    if (line.endsWith("\\")) pending += `${line.slice(0, -1)} `;
    else {
      joined.push(pending + (pending ? line.trim() : line));
      pending = "";
    }
  }
  if (pending) joined.push(pending);
  return joined;
}
