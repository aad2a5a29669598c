import { z } from "zod";

/**
 * A fenced code block's info string: the language, then optional words that say how the
 * lesson-commands test treats the block. Learners never see them: the API serves the language only.
 *
 *   ```console norun=no-registry   a shell block the test must not run, and why
 *   ```dockerfile file=Dockerfile  a file the learner creates; the test writes it before the next block
 */

const SHELL_BLOCK_LANGUAGES = new Set(["console", "sh", "bash", "shell"]);

/** Why a shell block cannot run on our offline machines. Each reason is a fact about those machines. */
export const NORUN_REASONS = {
  "no-registry": "downloads from or logs in to Docker Hub, which is not reachable from our machines",
  "host-specific": "uses a value only the author's machine printed (a PID, an ID)",
  "installs-docker":
    "installs or sets up Docker on the learner's own computer: it needs root and the internet, and our machines have Docker already",
} as const;
export type NorunReason = keyof typeof NORUN_REASONS;

// Object.keys loses the key type; these are exactly the keys of NORUN_REASONS, and it has at least one.
const NorunReasonSchema = z.enum(Object.keys(NORUN_REASONS) as [NorunReason, ...NorunReason[]]);
/** Relative to the learner's current folder, inside it: no `..`, no absolute path. */
const FilePathSchema = z
  .string()
  .regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[\w.@/-]+$/, "a relative path inside the current folder, such as Dockerfile");

interface CodeInfo {
  language: string;
  norun?: NorunReason;
  file?: string;
}

export class CodeInfoError extends Error {}

export function parseCodeInfo(info: string): CodeInfo {
  const [language = "", ...words] = info.trim().split(/\s+/);
  const parsed: CodeInfo = { language };
  for (const word of words) {
    const [key, value = ""] = word.split("=", 2);
    if (key === "norun") {
      const reason = NorunReasonSchema.safeParse(value);
      if (!reason.success) {
        throw new CodeInfoError(
          `"${word}": a norun reason is one of ${Object.keys(NORUN_REASONS).join(", ")} (see src/content/code-info.ts)`,
        );
      }
      if (!SHELL_BLOCK_LANGUAGES.has(language)) throw new CodeInfoError(`"${word}": only shell blocks run`);
      parsed.norun = reason.data;
    } else if (key === "file") {
      const file = FilePathSchema.safeParse(value);
      if (!file.success) throw new CodeInfoError(`"${word}": ${file.error.issues[0]?.message}`);
      if (SHELL_BLOCK_LANGUAGES.has(language)) throw new CodeInfoError(`"${word}": a shell block is run, not written`);
      parsed.file = file.data;
    } else {
      throw new CodeInfoError(`"${word}": after the language, a code block takes only norun=REASON or file=PATH`);
    }
  }
  return parsed;
}

export function isShellBlock(language: string): boolean {
  return SHELL_BLOCK_LANGUAGES.has(language);
}
