import autocannon from "autocannon";
import { log } from "./processes.js";

/** The process that answers: its peak RSS and CPU time are read around each run. */
export interface ProcessProbe {
  resetPeakRss(): Promise<void>;
  peakRssMiB(): Promise<number>;
  cpuSeconds(): Promise<number>;
}

/** What one timed run of one target produced. */
export interface RoundResult {
  expected: number;
  /** Other statuses, connection errors, timeouts, exceptions. */
  unexpected: number;
  seconds: number;
  latency: { p50: number; p90: number; p99: number; max: number };
  statusCounts?: Record<string, number>;
}

export interface LoadResult {
  target: string;
  /** Expected answers over all rounds. */
  requests: number;
  /** Median over the rounds of expected answers per second. */
  requestsPerSecond: number;
  /** Each round's expected answers per second, to show the spread. */
  roundsPerSecond: number[];
  /** Medians over the rounds of each percentile (max: the largest). */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  unexpected: number;
  peakRssMiB: number | null;
  /**
   * CPU time the answering process spent per expected answer, in microseconds. Unlike req/s it
   * hardly depends on what else runs on the machine, so it is the steadier comparison.
   */
  cpuMicrosPerRequest: number | null;
  statusCounts: Record<string, number>;
}

export interface LoadTarget {
  target: string;
  url: string;
  expectStatus: number;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  /** A new body for every request (e.g. another learner each time). */
  body?: () => string;
  /** Overrides the run's connection count for this target. */
  connections?: number;
  /** Whose peak RSS and CPU to report (the load generator is never measured). */
  process?: ProcessProbe;
  /** A target that is not an HTTP server (a baseline script) runs itself. */
  run?: (seconds: number) => Promise<RoundResult>;
}

/**
 * Runs every target for `durationSeconds` per round, round after round (A B C A B C …), so a
 * noisy neighbour on a shared machine slows all targets alike instead of the one it overlaps.
 */
export async function measureInRounds(
  targets: LoadTarget[],
  options: { connections: number; durationSeconds: number; rounds: number; warmupSeconds?: number },
): Promise<LoadResult[]> {
  const warmupSeconds = options.warmupSeconds ?? 2;
  const runTarget = (target: LoadTarget, seconds: number, report: boolean) =>
    target.run
      ? target.run(seconds)
      : runAutocannon(target, target.connections ?? options.connections, seconds, report);
  for (const target of targets) {
    log(`warming up ${target.target} (${warmupSeconds} s)`);
    await runTarget(target, warmupSeconds, false);
    await target.process?.resetPeakRss();
  }
  const perTarget = targets.map(() => [] as RoundResult[]);
  const cpuPerTarget = targets.map(() => 0);
  for (let round = 1; round <= options.rounds; round++) {
    for (const [index, target] of targets.entries()) {
      const cpuBefore = (await target.process?.cpuSeconds()) ?? 0;
      const result = await runTarget(target, options.durationSeconds, true);
      cpuPerTarget[index] = (cpuPerTarget[index] ?? 0) + ((await target.process?.cpuSeconds()) ?? 0) - cpuBefore;
      perTarget[index]?.push(result);
      log(
        `round ${round}/${options.rounds} ${target.target}: ${(result.expected / result.seconds).toFixed(0)}/s, ` +
          `p99 ${result.latency.p99.toFixed(1)} ms, ${result.unexpected} unexpected`,
      );
    }
  }
  const results: LoadResult[] = [];
  for (const [index, target] of targets.entries()) {
    results.push(await summarize(target, perTarget[index] ?? [], cpuPerTarget[index] ?? 0));
  }
  return results;
}

async function summarize(target: LoadTarget, rounds: RoundResult[], cpuSeconds: number): Promise<LoadResult> {
  const statusCounts: Record<string, number> = {};
  for (const round of rounds) {
    for (const [code, count] of Object.entries(round.statusCounts ?? {})) {
      statusCounts[code] = (statusCounts[code] ?? 0) + count;
    }
  }
  const expected = rounds.reduce((sum, r) => sum + r.expected, 0);
  // Only expected answers count: a fast error is not throughput.
  const perSecond = rounds.map((r) => r.expected / r.seconds);
  return {
    target: target.target,
    requests: expected,
    requestsPerSecond: median(perSecond),
    roundsPerSecond: perSecond.map((n) => (n >= 100 ? Math.round(n) : Math.round(n * 10) / 10)),
    latencyMs: {
      p50: median(rounds.map((r) => r.latency.p50)),
      p90: median(rounds.map((r) => r.latency.p90)),
      p99: median(rounds.map((r) => r.latency.p99)),
      max: Math.max(...rounds.map((r) => r.latency.max)),
    },
    unexpected: rounds.reduce((sum, r) => sum + r.unexpected, 0),
    peakRssMiB: target.process ? await target.process.peakRssMiB() : null,
    cpuMicrosPerRequest: target.process && expected > 0 ? (cpuSeconds * 1e6) / expected : null,
    statusCounts,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function runAutocannon(
  target: LoadTarget,
  connections: number,
  durationSeconds: number,
  report: boolean,
): Promise<RoundResult> {
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const body = target.body;
    const instance = autocannon(
      {
        url: target.url,
        connections,
        duration: durationSeconds,
        method: target.method ?? "GET",
        headers: target.headers,
        timeout: 30,
        ...(body
          ? {
              requests: [
                {
                  method: target.method ?? "POST",
                  setupRequest: (request: autocannon.Request) => ({ ...request, body: body() }),
                },
              ],
            }
          : {}),
      },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
    if (!report) return;
    let second = 0;
    // autocannon passes the last second's counts to "tick"; its type definitions omit the argument.
    (instance as unknown as NodeJS.EventEmitter).on("tick", (counter: { counter: number }) => {
      second++;
      if (second % 2 === 0 && second <= durationSeconds) {
        log(`  ${target.target}: ${second}/${durationSeconds} s, ${counter.counter} answers in the last second`);
      }
    });
  });
  const statusCounts: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    statusCounts[code] = (stats as { count: number }).count;
  }
  const expected = statusCounts[String(target.expectStatus)] ?? 0;
  const answered = Object.values(statusCounts).reduce((sum, n) => sum + n, 0);
  return {
    expected,
    unexpected: answered - expected + result.errors + result.timeouts,
    seconds: result.duration,
    latency: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    statusCounts,
  };
}
