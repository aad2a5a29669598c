import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { LoadResult } from "./load.js";
import { projectRoot } from "./processes.js";

export interface Ratio {
  name: string;
  value: number;
  target: number | null;
  met: boolean | null;
}

export function ratio(name: string, numerator: number, denominator: number, target: number | null): Ratio {
  const value = denominator > 0 ? numerator / denominator : 0;
  return { name, value, target, met: target === null ? null : value >= target };
}

/** Prints the result table the way docs/benchmarks.md shows it. */
export function printTable(title: string, results: LoadResult[], ratios: Ratio[]): string {
  const header = [
    "target",
    "req/s (median)",
    "per round",
    "p50 ms",
    "p99 ms",
    "max ms",
    "unexpected",
    "CPU µs/req",
    "peak RSS MiB",
  ];
  const rows = results.map((r) => [
    r.target,
    r.requestsPerSecond.toFixed(0),
    r.roundsPerSecond.join(" / "),
    r.latencyMs.p50.toFixed(1),
    r.latencyMs.p99.toFixed(1),
    r.latencyMs.max.toFixed(0),
    String(r.unexpected),
    r.cpuMicrosPerRequest === null ? "n/a" : r.cpuMicrosPerRequest.toFixed(0),
    r.peakRssMiB === null ? "n/a" : r.peakRssMiB.toFixed(0),
  ]);
  const lines = [`## ${title}`, "", markdownTable(header, rows), ""];
  if (ratios.length > 0) {
    lines.push(
      markdownTable(
        ["ratio", "value", "target", "met"],
        ratios.map((q) => [
          q.name,
          `${q.value.toFixed(2)}×`,
          q.target === null ? "—" : `≥ ${q.target}×`,
          q.met === null ? "—" : q.met ? "yes" : "NO",
        ]),
      ),
      "",
    );
  }
  const text = lines.join("\n");
  console.log(`\n${text}`);
  return text;
}

export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function machineDescription(): Record<string, string | number> {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    kernel: os.release(),
    // Other work on the machine: ratios measured in one run stay comparable, absolute numbers do not.
    loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** Writes bench/results/<name>-<timestamp>.json (git-ignored) and returns its path. */
export async function writeResults(name: string, data: unknown): Promise<string> {
  const directory = path.join(projectRoot, "bench", "results");
  await mkdir(directory, { recursive: true });
  const file = path.join(directory, `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  await writeFile(file, `${JSON.stringify({ machine: machineDescription(), ...(data as object) }, null, 2)}\n`);
  return path.relative(projectRoot, file);
}

/** One target of issue 12, with what it is measured against and whether this run met it. */
export interface TargetRow {
  target: string;
  /** What this run measured. */
  value: string;
  goal: string;
  /** The same measure for the baseline in this run, or "—" when the goal is absolute. */
  baseline: string;
  met: boolean;
}

export function targetTable(rows: TargetRow[]): string {
  return markdownTable(
    ["target", "measured", "goal", "baseline (same run)", "met"],
    rows.map((r) => [r.target, r.value, r.goal, r.baseline, r.met ? "met" : "NOT MET"]),
  );
}
