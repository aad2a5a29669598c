import type { ClassLearner } from "./class-report.js";

/** The CSV export's columns, in order: its header row. */
export const CLASS_CSV_COLUMNS = [
  "learnerId",
  "sub",
  "name",
  "exerciseId",
  "status",
  "bestScore",
  "maxScore",
  "attempts",
  "firstAttemptAt",
  "firstPassedAt",
] as const;

/**
 * The class as RFC 4180 CSV: a header row, then one row per learner and exercise, CRLF-terminated.
 * A learner who never launched has no learnerId (empty). A field a spreadsheet would run as a formula
 * (=, +, -, @ first) is quoted with a leading apostrophe, since a sub or a name is whatever the
 * platform sent (OWASP, CSV injection).
 */
export function classCsv(learners: readonly ClassLearner[]): string {
  const rows = learners.flatMap((learner) =>
    learner.exercises.map((cell) => [
      learner.learnerId ?? "",
      learner.sub,
      learner.name ?? "",
      cell.exerciseId,
      cell.status,
      cell.bestScore,
      cell.maxScore,
      cell.attempts,
      cell.firstAttemptAt ?? "",
      cell.firstPassedAt ?? "",
    ]),
  );
  return [CLASS_CSV_COLUMNS, ...rows].map((row) => `${row.map(csvField).join(",")}\r\n`).join("");
}

function csvField(value: string | number): string {
  if (typeof value === "number") return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
