// Timing loops and reporting shared by the benchmarks.

export interface Measurement {
  operations: number;
  units: number;
  seconds: number;
  /** Units per second. */
  rate: number;
  /** Milliseconds per operation. */
  latencies: number[];
}

/**
 * Runs `operation` in `concurrency` loops for `seconds`; each call returns how many units it did.
 * A short untimed warm-up first opens the connections and fills plan caches, which would otherwise
 * land in the measured tail (SCRAM authentication alone blocks the event loop for a while).
 */
export async function runFor(seconds: number, concurrency: number, operation: (client: number) => Promise<number>): Promise<Measurement> {
  const warmUpUntil = performance.now() + Math.min(1000, seconds * 200);
  await Promise.all(Array.from({ length: concurrency }, async (_, client) => {
    while (performance.now() < warmUpUntil) await operation(client);
  }));
  const latencies: number[] = [];
  let units = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async (_, client) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      // Await first, then add: `units += await …` would read units before the await and lose
      // every increment made by the other clients meanwhile.
      const done = await operation(client);
      units += done;
      latencies.push(performance.now() - t0);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  return { operations: latencies.length, units, seconds: elapsed, rate: units / elapsed, latencies };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export function report(
  label: string,
  setting: string,
  measured: Measurement,
  baseline: Measurement,
  targets: { minRatio?: number; minRate?: number } = {},
): void {
  const ratio = measured.rate / baseline.rate;
  const verdicts: string[] = [];
  if (targets.minRatio !== undefined) verdicts.push(`ratio >= ${targets.minRatio}: ${ratio >= targets.minRatio ? "met" : "MISSED"}`);
  if (targets.minRate !== undefined) verdicts.push(`>= ${targets.minRate.toLocaleString("en")} events/s: ${measured.rate >= targets.minRate ? "met" : "MISSED"}`);
  console.log(
    `${label}, ${setting}: signed ${measured.rate.toFixed(0)} events/s vs plain ${baseline.rate.toFixed(0)} events/s ` +
      `= ${ratio.toFixed(2)} (p50 ${percentile(measured.latencies, 0.5).toFixed(1)} ms vs ${percentile(baseline.latencies, 0.5).toFixed(1)} ms, ` +
      `p99 ${percentile(measured.latencies, 0.99).toFixed(1)} ms vs ${percentile(baseline.latencies, 0.99).toFixed(1)} ms)` +
      (verdicts.length ? `  [${verdicts.join("; ")}]` : ""),
  );
}
