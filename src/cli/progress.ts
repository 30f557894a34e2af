// Progress of long work (verify, seal, archive verify, rehydrate, sor submit), on stderr so that
// stdout stays the result:
//   a terminal      a bar (cli-progress) with the count, percentage, rate and ETA, cleared when done
//   anything else   plain lines (pipes, cron, CI logs): one every 5 s while the work lasts, and a
//                   last one with the total time and rate if any was printed
//   --json          nothing (the caller passes quiet)
// EVIDENT_PROGRESS=bar|lines|off overrides the choice; EVIDENT_PROGRESS_INTERVAL_MS the 5 s.
import cliProgress from "cli-progress";

export interface Progress {
  /** Sets how much is done. */
  update(done: number): void;
  /** Adds to what is done. */
  increment(by?: number): void;
  /** Ends the bar (or prints the last line). */
  done(): void;
}

type Mode = "bar" | "lines" | "off";

function mode(quiet: boolean): Mode {
  if (quiet) return "off";
  const forced = process.env.EVIDENT_PROGRESS;
  if (forced === "bar" || forced === "lines" || forced === "off") return forced;
  return process.stderr.isTTY === true ? "bar" : "lines";
}

const rateOf = (done: number, ms: number) => (ms > 0 ? Math.round((done * 1000) / ms) : 0);

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`;
}

/** What `total` units of `label` have come to; total 0 means unknown (no percentage or ETA). */
export function progress(label: string, total: number, quiet: boolean, unit = "entries"): Progress {
  const chosen = mode(quiet);
  const started = Date.now();
  let current = 0;
  if (chosen === "off") {
    return { update: (done) => void (current = done), increment: (by = 1) => void (current += by), done: () => {} };
  }

  if (chosen === "bar") {
    const known = total > 0;
    const bar = new cliProgress.SingleBar({
      stream: process.stderr,
      format: known
        ? `${label} [{bar}] {percentage}% {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}`
        : `${label}: {value} ${unit} | {rate}/s | {duration_formatted}`,
      barCompleteChar: "#",
      barIncompleteChar: ".",
      barsize: 30,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 10,
      // Also draw when stderr is not a terminal but the bar was asked for (EVIDENT_PROGRESS=bar).
      noTTYOutput: process.stderr.isTTY !== true,
      notTTYSchedule: 1000,
    });
    bar.start(Math.max(total, 0), 0, { rate: 0 });
    const set = (done: number) => {
      current = done;
      bar.update(known ? Math.min(done, total) : done, { rate: rateOf(done, Date.now() - started) });
    };
    return {
      update: set,
      increment: (by = 1) => set(current + by),
      done: () => bar.stop(),
    };
  }

  const intervalMs = Math.max(1, Number(process.env.EVIDENT_PROGRESS_INTERVAL_MS ?? 5000) || 5000);
  let lastLine = started;
  let printed = false;
  const line = (final: boolean) => {
    const elapsedMs = Date.now() - started;
    const rate = rateOf(current, elapsedMs);
    const of = total > 0 ? `${current}/${total} ${unit} (${Math.min(100, Math.floor((current * 100) / total))}%)` : `${current} ${unit}`;
    const tail = final
      ? `done in ${duration(elapsedMs / 1000)}`
      : total > 0 && rate > 0 ? `ETA ${duration((total - current) / rate)}` : `${duration(elapsedMs / 1000)} so far`;
    process.stderr.write(`${label}: ${of}, ${rate}/s, ${tail}\n`);
  };
  const set = (done: number) => {
    current = done;
    if (Date.now() - lastLine < intervalMs) return;
    lastLine = Date.now();
    printed = true;
    line(false);
  };
  return {
    update: set,
    increment: (by = 1) => set(current + by),
    done: () => {
      if (printed) line(true);
    },
  };
}
