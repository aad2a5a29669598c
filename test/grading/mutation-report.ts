import type { ContainerExercise } from "../../src/grading/exercise.js";

export interface MutantResult {
  id: string;
  from: string;
  /** It earned full marks. */
  survived: boolean;
  /** The exercise declares it equivalent. */
  declared: boolean;
  failed: string[];
  /** How its commands ended: `exit N` or `timed out`. */
  typed: string;
  output: string;
  /** How long its commands took, and then its grade. */
  typedMs: number;
  gradedMs: number;
}

/** docs/mutation-report.md: per exercise, the mutants generated, killed and declared equivalent, and why. */
export function renderMutationReport(exercises: ContainerExercise[], results: Map<string, MutantResult[]>): string {
  const rows = exercises.map((exercise) => {
    const outcomes = results.get(exercise.id) ?? [];
    const killed = outcomes.filter((o) => !o.survived).length;
    const equivalent = outcomes.filter((o) => o.survived && o.declared).length;
    const undeclared = outcomes.filter((o) => o.survived && !o.declared).length;
    const score = outcomes.length - equivalent > 0 ? Math.round((100 * killed) / (outcomes.length - equivalent)) : 100;
    return { exercise, outcomes, killed, equivalent, undeclared, score };
  });
  const sum = (pick: (row: (typeof rows)[number]) => number) => rows.reduce((total, row) => total + pick(row), 0);
  const lines = [
    "# Mutation report",
    "",
    "Written by `npm run mutants` (test/grading/mutants.test.ts, which `npm test` runs too). Each",
    "mutant is an accepted attempt changed in one way (src/grading/mutants.ts: a flag dropped,",
    "`--privileged` added, a look-alike image, never started, stopped, killed or paused afterwards,",
    "another command, a tag on the wrong image, a step skipped or done by another method: `docker exec`",
    "for `docker cp`, `docker kill` for `docker stop` and back, `docker create` and `docker start` for",
    "`docker run`), typed on a real engine and graded by the real grader. Killed: it lost a point.",
    "Equivalent: it earned full marks and its exercise declares why that is right (`equivalent:` in its",
    "YAML). Undeclared survivors fail the test. Score: killed over the mutants not declared equivalent.",
    "",
    "| Exercise | Generated | Killed | Declared equivalent | Undeclared survivors | Score |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (row) =>
        `| \`${row.exercise.id}\` | ${row.outcomes.length} | ${row.killed} | ${row.equivalent} | ${row.undeclared} | ${row.score}% |`,
    ),
    `| **all** | ${sum((r) => r.outcomes.length)} | ${sum((r) => r.killed)} | ${sum((r) => r.equivalent)} | ${sum((r) => r.undeclared)} | |`,
    "",
    "## Survivors, and why they are right",
    "",
  ];
  for (const row of rows) {
    const survivors = row.outcomes.filter((o) => o.survived);
    if (survivors.length === 0) continue;
    lines.push(`### \`${row.exercise.id}\``, "");
    const reasons = new Map(row.exercise.equivalent.map((entry) => [entry.mutant, entry.reason]));
    for (const survivor of survivors) {
      const reason = reasons.get(survivor.id) ?? "**not declared: a false pass, or an equivalent to declare**";
      lines.push(`- \`${survivor.id}\` (of "${survivor.from}"): ${reason}`);
    }
    lines.push("");
  }
  const stale = rows.flatMap((row) =>
    row.outcomes
      .filter((o) => o.declared && !o.survived)
      .map((o) => `- \`${row.exercise.id}\`: \`${o.id}\` (failed ${o.failed.join(", ")}; its commands: ${o.typed})`),
  );
  if (stale.length > 0) {
    lines.push(
      "## Declared equivalent, but killed in this run",
      "",
      "Timing decides these (graded before or after the engine acts): each is declared for the runs where it survives.",
      "",
      ...stale,
      "",
    );
  }
  return `${lines.join("\n")}\n`;
}
