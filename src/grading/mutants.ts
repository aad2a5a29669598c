/**
 * Mutants of an exercise's accepted attempts: each a right answer changed in one way a learner could
 * change it (a flag dropped, `--privileged` added, a look-alike image, never started or stopped
 * afterwards, another command, a step skipped or done by another method). Graded on a real engine,
 * each must fail, or the exercise declares it equivalent (`equivalent:` in its YAML) with the reason
 * the grade cannot, or need not, tell it from the right answer (test/grading/mutants.test.ts).
 *
 * Pure: shell lines in, shell lines out. A mutant's id names the change, not the attempt, so one
 * declaration covers the same change wherever it occurs; each id is derived once per exercise, from
 * the first accepted attempt it applies to, which keeps the run short.
 */
export interface Mutant {
  /** The change, as an `equivalent:` entry names it: "drop --detach", "add --privileged". */
  id: string;
  /** The accepted attempt it was derived from. */
  from: string;
  run: string[];
}

/** Alpine-based, with a shell and busybox, and a server as its command: it passes for alpine or nginx at a glance. */
const LOOK_ALIKE = "redis:7-alpine";
const LOOK_ALIKE_OF_LOOK_ALIKE = "alpine";

/** The Docker subcommands whose flags are dropped one at a time. */
const FLAGGED = new Set(["run", "create", "start", "stop", "kill", "exec", "prune"]);
/** Words between `docker` and a subcommand: `docker container run`, `docker system prune`. */
const GROUPS = new Set(["container", "image", "system", "network", "volume"]);
/** Groups whose subcommands keep their bare name: `docker network create` makes no container. */
const CONTAINER_GROUPS = new Set(["", "container", "image", "system"]);

/** Flags that take a value in the next word, by their long name. */
const TAKES_VALUE = new Set([
  "--name",
  "--publish",
  "--env",
  "--env-file",
  "--volume",
  "--mount",
  "--network",
  "--memory",
  "--memory-swap",
  "--cpus",
  "--cpu-period",
  "--cpu-quota",
  "--user",
  "--cap-drop",
  "--cap-add",
  "--restart",
  "--health-cmd",
  "--health-interval",
  "--health-start-period",
  "--health-timeout",
  "--health-retries",
  "--tmpfs",
  "--label",
  "--entrypoint",
  "--signal",
  "--time",
  "--workdir",
  "--filter",
  "--tag",
  "--file",
  "--build-arg",
  "--log-driver",
  "--log-opt",
  "--security-opt",
]);

/** Short flags by subcommand, as their long names: `-t` is --tty to `run` but --time to `stop`. */
const SHORT: Record<string, Record<string, string>> = {
  run: {
    d: "--detach",
    i: "--interactive",
    t: "--tty",
    p: "--publish",
    e: "--env",
    v: "--volume",
    m: "--memory",
    u: "--user",
    l: "--label",
    w: "--workdir",
  },
  exec: { d: "--detach", i: "--interactive", t: "--tty", e: "--env", u: "--user", w: "--workdir" },
  start: { a: "--attach", i: "--interactive" },
  stop: { t: "--time", s: "--signal" },
  kill: { s: "--signal" },
  prune: { f: "--force", a: "--all" },
  build: { t: "--tag", f: "--file", q: "--quiet" },
};
SHORT.create = SHORT.run ?? {};
const ALIASES: Record<string, string> = { "--net": "--network" };

interface Word {
  text: string;
  start: number;
  end: number;
}

/** Words of a line's first physical line (a heredoc's body is left as it is), quotes and $( ) kept whole. */
function words(line: string): Word[] {
  const head = line.split("\n")[0] ?? "";
  const found: Word[] = [];
  let start = -1;
  let quote: string | undefined;
  let depth = 0;
  for (let at = 0; at <= head.length; at++) {
    const char = head[at];
    if (char === undefined || (!quote && depth === 0 && /\s/.test(char))) {
      if (start >= 0) found.push({ text: head.slice(start, at), start, end: at });
      start = -1;
      continue;
    }
    if (start < 0) start = at;
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === "\\" && quote === '"') at++;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === "$" && head[at + 1] === "(") {
      depth++;
      at++;
    } else if (char === ")" && depth > 0) depth--;
  }
  return found;
}

const SEPARATORS = new Set(["|", "||", "&&", ";"]);

interface Flag {
  /** The long name: --detach, --publish. */
  name: string;
  /** Its value, unquoted, when it takes one. */
  value?: string;
  /** The words it spans, or the one letter of a cluster such as -dit. */
  start: number;
  end: number;
  /** Set for one letter of a cluster: the cluster's text without that letter. */
  rest?: string;
}

/** One `docker …` command in a line: its subcommand, flags and the words after them. */
interface DockerCommand {
  /** Where the command's first word (`docker`) starts and its last word ends: the whole command is replaced there. */
  start: number;
  end: number;
  sub: string;
  /** Where the subcommand word ends: a flag is inserted after it. */
  subEnd: number;
  flags: Flag[];
  /** The first word that is not a flag (an image, a container) and the ones after it. */
  args: Word[];
}

const unquote = (text: string) => text.replace(/^(["'])(.*)\1$/, "$2");

function dockerCommands(line: string): DockerCommand[] {
  const all = words(line);
  const commands: DockerCommand[] = [];
  let segment: Word[] = [];
  for (const word of [...all, undefined]) {
    if (word && !SEPARATORS.has(word.text)) {
      segment.push(word);
      continue;
    }
    const command = parseDocker(segment);
    if (command) commands.push(command);
    segment = [];
  }
  return commands;
}

function parseDocker(segment: Word[]): DockerCommand | undefined {
  const docker = segment[0];
  if (docker?.text !== "docker") return undefined;
  let at = 1;
  const group = GROUPS.has(segment[at]?.text ?? "") ? (segment[at++]?.text ?? "") : "";
  const subWord = segment[at];
  if (!subWord) return undefined;
  const sub = CONTAINER_GROUPS.has(group) ? subWord.text : `${group} ${subWord.text}`;
  const short = SHORT[sub] ?? {};
  const flags: Flag[] = [];
  at++;
  for (let word = segment[at]; word; word = segment[++at]) {
    if (!word.text.startsWith("-") || word.text === "-") break;
    if (word.text.startsWith("--")) {
      const [raw = "", inline] = word.text.split(/=(.*)/s);
      const name = ALIASES[raw] ?? raw;
      if (inline !== undefined) flags.push({ name, value: unquote(inline), start: word.start, end: word.end });
      else if (TAKES_VALUE.has(name)) {
        const value = segment[++at];
        flags.push({ name, value: unquote(value?.text ?? ""), start: word.start, end: value?.end ?? word.end });
      } else flags.push({ name, start: word.start, end: word.end });
      continue;
    }
    const letters = word.text.slice(1);
    const single = short[letters];
    if (letters.length === 1 || (single && TAKES_VALUE.has(single))) {
      const name = single ?? word.text;
      if (TAKES_VALUE.has(name)) {
        const value = segment[++at];
        flags.push({ name, value: unquote(value?.text ?? ""), start: word.start, end: value?.end ?? word.end });
      } else flags.push({ name, start: word.start, end: word.end });
      continue;
    }
    for (const [index, letter] of [...letters].entries()) {
      const rest = `-${letters.slice(0, index)}${letters.slice(index + 1)}`;
      flags.push({ name: short[letter] ?? `-${letter}`, start: word.start, end: word.end, rest });
    }
  }
  const last = segment.at(-1) ?? subWord;
  return { start: docker.start, end: last.end, sub, subEnd: subWord.end, flags, args: segment.slice(at) };
}

/** The line with [start, end) of its first physical line replaced. */
function splice(line: string, start: number, end: number, text: string): string {
  const cut = text === "" && line[end] === " " ? end + 1 : end;
  return `${line.slice(0, start)}${text}${line.slice(cut)}`;
}

/**
 * A step by what it does, not how it is spelled: `docker push` for `docker image push -q …`, `printf`
 * for any printf. Two accepted attempts' ways of doing one step are then one mutant.
 */
function stepName(line: string): string {
  const command = dockerCommands(line)[0];
  if (command) return `docker ${command.sub}`;
  return line.trim().split(/\s+/)[0] ?? "";
}

/** The command that creates the graded container: a run or create given its name. */
function creates(command: DockerCommand, name: string): boolean {
  return (
    (command.sub === "run" || command.sub === "create") &&
    command.flags.some((flag) => flag.name === "--name" && flag.value === name)
  );
}

const mentions = (line: string, name: string) =>
  new RegExp(`(?<![\\w.-])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w.-])`).test(line);

/** The line with its `docker run` turned into a `docker create` of the same container, without the flags `create` lacks. */
function createdInstead(line: string, command: DockerCommand): string {
  if (command.sub !== "run") return line;
  let created = line;
  const subStart = line.lastIndexOf("run", command.subEnd);
  const dropped = command.flags
    .filter((flag) => flag.name === "--detach" || flag.name === "--rm")
    .sort((a, b) => b.start - a.start);
  for (const flag of dropped)
    created = splice(created, flag.start, flag.end, flag.rest === "-" ? "" : (flag.rest ?? ""));
  return `${created.slice(0, subStart)}create${created.slice(subStart + 3)}`;
}

/**
 * `docker cp SRC NAME:DEST` as the same file written through `docker exec`: the file lands where the
 * copy puts it (DEST, or DEST/SRC's name when DEST ends with a slash). Undefined for what exec cannot
 * redo in one line: a tar stream on standard input (`-`), a copy out of a container, a quote in DEST.
 */
function execInsteadOfCp(command: DockerCommand): string | undefined {
  const [source, target, ...more] = command.args;
  if (!source || !target || more.length > 0) return undefined;
  const from = unquote(source.text);
  const into = /^([\w][\w.-]*):(.+)$/.exec(unquote(target.text));
  if (from === "-" || from.includes(":") || !into) return undefined;
  const [, container, dest = ""] = into;
  const file = dest.endsWith("/") ? `${dest}${from.split("/").filter(Boolean).at(-1) ?? ""}` : dest;
  if (file.includes("'")) return undefined;
  return `docker exec -i ${container} sh -c 'cat > ${file}' < ${source.text}`;
}

/**
 * What mutants are derived from: an exercise's graded container, its checks and its accepted attempts.
 * A shape of its own, so that exercise.ts, which checks declared equivalents against the mutants, and
 * this file do not import each other.
 */
interface MutantSource {
  containerName: string;
  checks: readonly { type: string; equals?: unknown }[];
  accept: readonly { title: string; run: readonly string[] }[];
}

/** Every mutant of one attempt, in a fixed order: the changes a learner could make to it. */
function mutantsOf(exercise: MutantSource, run: readonly string[]): { id: string; run: string[] }[] {
  const name = exercise.containerName;
  const found: { id: string; run: string[] }[] = [];
  const replaceLine = (index: number, line: string) => run.map((old, at) => (at === index ? line : old));
  const exitCodes = [
    ...new Set(
      exercise.checks.flatMap((check) =>
        check.type === "exitCode" && typeof check.equals === "number" ? [check.equals] : [],
      ),
    ),
  ];

  for (const [index, line] of run.entries()) {
    // Applied right to left would keep spans valid; each mutant changes one span, so any order does.
    for (const command of dockerCommands(line)) {
      if (FLAGGED.has(command.sub)) {
        for (const flag of command.flags) {
          if (flag.name === "--name") continue;
          const id = `drop ${flag.name}${flag.value !== undefined ? ` ${flag.value}` : ""}`;
          const mutated = flag.rest
            ? splice(line, flag.start, flag.end, flag.rest)
            : splice(line, flag.start, flag.end, "");
          found.push({ id, run: replaceLine(index, mutated) });
        }
      }
      if (command.sub !== "run" && command.sub !== "create") continue;
      found.push({
        id: "add --privileged",
        run: replaceLine(index, splice(line, command.subEnd, command.subEnd, " --privileged")),
      });
      const [image, ...commandWords] = command.args;
      if (image && !image.text.includes("$")) {
        const bare = unquote(image.text).replace(/^docker\.io\/library\//, "");
        const lookAlike = bare.startsWith("redis") ? LOOK_ALIKE_OF_LOOK_ALIKE : LOOK_ALIKE;
        found.push({
          id: `image ${lookAlike}`,
          run: replaceLine(index, splice(line, image.start, image.end, lookAlike)),
        });
      }
      if (image && creates(command, name)) {
        const after = commandWords.at(-1)?.end ?? image.end;
        const withCommand = (text: string) => splice(line, image.end, after, ` ${text}`);
        for (const code of exitCodes.length > 0 ? exitCodes : [0]) {
          found.push({
            id: `command sh -c 'exit ${code}'`,
            run: replaceLine(index, withCommand(`sh -c 'exit ${code}'`)),
          });
        }
        found.push({ id: "command sleep 600", run: replaceLine(index, withCommand("sleep 600")) });
      }
    }
  }

  // Never started: created instead of run (without the flags `create` lacks), and every later line
  // that touches the container left out (its start, its wait, its copy).
  for (const [index, line] of run.entries()) {
    const command = dockerCommands(line).find((c) => creates(c, name));
    if (!command) continue;
    const later = run.slice(index + 1).filter((other) => !mentions(other, name));
    found.push({ id: "never started", run: [...run.slice(0, index), createdInstead(line, command), ...later] });
    break;
  }

  // Another method for one step: the same state reached by other commands. Only the outcome can say
  // whether the method matters (nota-en-el-reloj's asks for `docker cp`); where it does not, the
  // exercise declares the mutant equivalent.
  for (const [index, line] of run.entries()) {
    for (const command of dockerCommands(line)) {
      const instead = (text: string) => replaceLine(index, splice(line, command.start, command.end, text));
      const targets = command.args.map((arg) => unquote(arg.text));
      if (command.sub === "cp") {
        const through = execInsteadOfCp(command);
        if (through) found.push({ id: "docker exec instead of docker cp", run: instead(through) });
      } else if (command.sub === "stop" && targets.includes(name)) {
        found.push({ id: "docker kill instead of docker stop", run: instead(`docker kill ${name}`) });
      } else if (command.sub === "kill" && targets.includes(name)) {
        // A one-second grace, as "then docker stop" has: the default 10 s would outlast the mutation
        // test's time for the commands, and a longer grace changes only when SIGKILL follows SIGTERM.
        found.push({ id: "docker stop instead of docker kill", run: instead(`docker stop -t 1 ${name}`) });
      } else if (command.sub === "run" && creates(command, name)) {
        const has = (flag: string) => command.flags.some((f) => f.name === flag);
        // A run without -d shows the container's output, and with -i takes the terminal's input: start
        // does the same with -a and -i. With -t the create line keeps -t, so the test gives the
        // lines a terminal (needsTerminal) as it does the run.
        const attach = has("--detach") ? "" : has("--interactive") ? "-ai " : "-a ";
        found.push({
          id: "docker create and start instead of docker run",
          run: [
            ...run.slice(0, index),
            createdInstead(line, command),
            `docker start ${attach}${name}`,
            ...run.slice(index + 1),
          ],
        });
      }
    }
  }

  for (const action of ["stop -t 1", "kill", "pause"]) {
    found.push({ id: `then docker ${action.split(" ")[0]}`, run: [...run, `docker ${action} ${name}`] });
  }

  // The right name on the wrong image: a tag made from a look-alike, or the build's base left unbuilt.
  const base = [...run.join("\n").matchAll(/\bFROM\s+([^\s\\'"]+)/g)].map((match) => match[1]).at(-1);
  for (const [index, line] of run.entries()) {
    for (const command of dockerCommands(line)) {
      const [source, target, ...more] = command.args;
      if (command.sub === "tag" && source && target && more.length === 0) {
        const lookAlike = unquote(source.text).startsWith("redis") ? LOOK_ALIKE_OF_LOOK_ALIKE : LOOK_ALIKE;
        found.push({
          id: `tag ${lookAlike} as ${unquote(target.text)}`,
          run: replaceLine(index, splice(line, source.start, source.end, lookAlike)),
        });
      }
      const tag = command.sub === "build" ? command.flags.find((flag) => flag.name === "--tag") : undefined;
      if (tag?.value && base) {
        const retag = `docker tag ${base} ${tag.value}`;
        found.push({
          id: `tag ${base} as ${tag.value}`,
          run: [...run.slice(0, index), retag, ...run.slice(index + 1)],
        });
      }
    }
  }

  if (run.length > 1) {
    const steps = run.map(stepName);
    for (const [index, step] of steps.entries()) {
      // The second of two `docker run`s is another step: `skip docker run #2`.
      const nth = steps.slice(0, index).filter((other) => other === step).length;
      found.push({ id: `skip ${step}${nth > 0 ? ` #${nth + 1}` : ""}`, run: run.filter((_, at) => at !== index) });
    }
  }
  return found;
}

/**
 * The exercise's mutants: those of every accepted attempt, each change once (from the first attempt
 * it applies to), and none that is itself one of the accepted attempts or leaves its attempt as it was.
 */
export function deriveMutants(exercise: MutantSource): Mutant[] {
  const accepted = new Set(exercise.accept.map((attempt) => attempt.run.join("\n")));
  const seen = new Set<string>();
  const mutants: Mutant[] = [];
  for (const attempt of exercise.accept) {
    for (const mutant of mutantsOf(exercise, attempt.run)) {
      const script = mutant.run.join("\n");
      if (seen.has(mutant.id) || accepted.has(script)) continue;
      seen.add(mutant.id);
      mutants.push({ id: mutant.id, from: attempt.title, run: mutant.run });
    }
  }
  return mutants;
}
