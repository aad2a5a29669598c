/** Docker's management commands: for these the reference entry is the command plus its subcommand. */
const MANAGEMENT_COMMANDS = new Set([
  "builder",
  "buildx",
  "compose",
  "container",
  "context",
  "image",
  "network",
  "system",
  "volume",
]);

const SHELL_LANGUAGES = new Set(["sh", "bash", "shell"]);

/**
 * The command-reference slugs that a code block runs, e.g. `docker container prune -f` → container-prune,
 * `kill -9 $(docker inspect -f '{{.State.Pid}}' web)` → inspect. In `console` blocks only prompt lines count.
 */
export function dockerCommandSlugs(code: string, language: string): string[] {
  if (language !== "console" && !SHELL_LANGUAGES.has(language)) return [];
  const slugs = new Set<string>();
  for (const rawLine of code.split("\n")) {
    const line = language === "console" ? promptLine(rawLine) : rawLine.trim();
    if (!line || line.startsWith("#")) continue;
    for (const match of line.matchAll(/(?:^|[\s;&|(`])docker\s+([a-z][a-z-]*)(?:\s+([a-z][a-z-]*))?/g)) {
      const [, command = "", subcommand] = match;
      slugs.add(MANAGEMENT_COMMANDS.has(command) && subcommand ? `${command}-${subcommand}` : command);
    }
  }
  return [...slugs];
}

function promptLine(line: string): string | undefined {
  const match = /^\s*(?:[\w@.-]+\s*)?[$#]\s+(.*)$/.exec(line);
  return match?.[1]?.trim();
}

/** The reference slug for a command as written in a command file's `command` field. */
export function slugForCommand(command: string): string {
  return dockerCommandSlugs(command, "sh")[0] ?? "";
}
