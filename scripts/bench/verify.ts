// npm run bench:verify: how fast a trail verifies, against reading the same rows without checking
// them, in the same run; peak memory while doing it; how long sealing the month takes; and how
// fast the sealed month re-verifies (`evident verify --month`) on every core and in one thread.
//   BENCH_EVENTS   trail length (default 200,000; the issue's seal target is for 1,000,000)
// Targets (issue 4): verification >= 0.5 of the raw read rate and >= 300,000 events/s; peak RSS
// flat and under 256 MB; sealing a 1,000,000-event month under 10 s.
import { generateLocalSecrets } from "../stack/secrets.ts";
import { startThrowawayStack } from "../stack/stack.ts";
import postgres from "postgres";
import { loadSignedMonth } from "./signed-trail.ts";
import { ExportSigner } from "../../supabase/functions/_shared/export-key.ts";
import { Keyring } from "../../supabase/functions/_shared/keyring.ts";
import { monthBounds, sealMonth } from "../../supabase/functions/_shared/seal.ts";
import { entryColumns } from "../../supabase/functions/_shared/trail.ts";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { defaultJobs } from "../../src/cli/verify/parallel.ts";

const total = Number(process.env.BENCH_EVENTS ?? 200_000);
const month = "2026-01";
const secrets = generateLocalSecrets();
const keyring = Keyring.parse(secrets.AUDIT_SIGNING_KEYS, secrets.AUDIT_ACTIVE_KEY_ID);
const signer = ExportSigner.parse(secrets.AUDIT_EXPORT_SIGNING_KEY);
const stack = await startThrowawayStack(secrets, (line) => process.stderr.write(`[stack] ${line}\n`));
const sql = postgres(stack.dbUrl, { max: 4, onnotice: () => {} });

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const repository = new URL("../../", import.meta.url).pathname;

/** Runs a command to completion, sampling its peak resident memory (VmHWM) from /proc meanwhile. */
function measured(command: string, args: string[], env: Record<string, string>): Promise<{ stdout: string; peakRss: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: repository, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    let peakRss = 0;
    child.stdout.on("data", (chunk) => (stdout += chunk));
    const sampler = setInterval(() => {
      try {
        const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (hwm) peakRss = Math.max(peakRss, Number(hwm[1]) * 1024);
      } catch { /* exited between samples */ }
    }, 20);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearInterval(sampler);
      if (code !== 0) reject(new Error(`${command} ${args.join(" ")} exited with ${code}`));
      else resolve({ stdout, peakRss, seconds: (performance.now() - started) / 1000 });
    });
  });
}

try {
  console.log(`bench:verify on PostgreSQL ${(await sql`select current_setting('server_version') as v`)[0].v}, ${total.toLocaleString("en")} events, ${availableParallelism()} cores\n`);
  const [{ id: org }] = await sql`insert into public.organizations (name) values ('bench verify') returning id`;
  const t0 = performance.now();
  await loadSignedMonth(sql, org, month, total, keyring);
  console.log(`loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const env = { DB_URL: stack.dbUrl, AUDIT_SIGNING_KEYS: secrets.AUDIT_SIGNING_KEYS };

  // Baseline: the same rows read exactly as verification reads them (one COPY stream, parsed into
  // entries), without checking them, in a process of its own.
  const read = JSON.parse((await measured(process.execPath, ["--import", "tsx", "scripts/bench/read-trail.ts", org], env)).stdout);
  const readRate = read.rows / read.seconds;

  // Verification as an operator runs it: the real CLI, in its own process, on every core; then on one.
  const verifyWith = async (jobs: number) => {
    const run = await measured(process.execPath, ["bin/evident.mjs", "verify", "--org", org, "--json", "--jobs", String(jobs)], env);
    const [report] = JSON.parse(run.stdout).organizations;
    if (!report.valid || report.checked !== total) throw new Error(`verification did not pass: ${run.stdout}`);
    return { rate: report.checked / (report.elapsed_ms / 1000), peakRss: run.peakRss, seconds: run.seconds };
  };
  const jobs = defaultJobs();
  const parallel = await verifyWith(jobs);
  const single = await verifyWith(1);

  const ratio = parallel.rate / readRate;
  console.log(`raw read: ${readRate.toFixed(0)} rows/s streamed through COPY and parsed, nothing checked (peak RSS ${mb(read.peak_rss)} MB)`);
  console.log(`verify, ${jobs} worker thread(s): ${parallel.rate.toFixed(0)} events/s = ${ratio.toFixed(2)} of the raw read` +
    `  [ratio >= 0.5: ${ratio >= 0.5 ? "met" : "MISSED"}; >= 300,000 events/s: ${parallel.rate >= 300_000 ? "met" : "MISSED"}]`);
  console.log(`verify, in one thread: ${single.rate.toFixed(0)} events/s = ${(single.rate / readRate).toFixed(2)} of the raw read`);
  const peak = Math.max(parallel.peakRss, single.peakRss);
  console.log(`memory: peak RSS of the verifying process ${mb(parallel.peakRss)} MB (${jobs} threads), ${mb(single.peakRss)} MB (one)` +
    ` for ${total.toLocaleString("en")} events  [under 256 MB: ${peak < 256 * 1024 * 1024 ? "met" : "MISSED"}]`);

  // Sealing runs in this process: its peak is sampled while it runs (this process's own baseline,
  // the loaded modules and connection, is included).
  let sealPeakRss = process.memoryUsage().rss;
  const rssSampler = setInterval(() => (sealPeakRss = Math.max(sealPeakRss, process.memoryUsage().rss)), 20);
  const sealStart = performance.now();
  const outcome = await sealMonth(sql, monthBounds(month)!, keyring, signer);
  const sealSeconds = (performance.now() - sealStart) / 1000;
  clearInterval(rssSampler);
  if (outcome.status !== "sealed") throw new Error(`seal did not happen: ${outcome.status}`);
  console.log(`seal: ${total.toLocaleString("en")}-event month in ${sealSeconds.toFixed(1)} s, peak RSS ${mb(sealPeakRss)} MB (links and signatures over the stored hashes, ` +
    `checked in the same pass that builds the Merkle trees)` + (total >= 1_000_000
      // Sealing is one pass, linear in the month's size: a larger month is held to the same rate.
      ? `  [1,000,000 under 10 s: ${sealSeconds / (total / 1_000_000) < 10 ? "met" : "MISSED"}` +
        (total > 1_000_000 ? `, at ${(sealSeconds / (total / 1_000_000)).toFixed(1)} s per million]` : "]")
      : `  [the 10 s target is for 1,000,000 events: run with BENCH_EVENTS=1000000]`));

  // Re-verifying the sealed month as an operator runs it (every entry recomputed, the roots against
  // the manifest): the real CLI, on every core, then in one thread.
  const verifyMonthWith = async (monthJobs: number) => {
    const run = await measured(process.execPath, ["bin/evident.mjs", "verify", "--month", month, "--json", "--jobs", String(monthJobs)],
      { ...env, AUDIT_EXPORT_SIGNING_KEY: secrets.AUDIT_EXPORT_SIGNING_KEY });
    const report = JSON.parse(run.stdout);
    if (!report.valid) throw new Error(`the sealed month did not verify: ${run.stdout}`);
    return { rate: total / (report.elapsed_ms / 1000), seconds: report.elapsed_ms / 1000, peakRss: run.peakRss };
  };
  const monthParallel = await verifyMonthWith(jobs);
  const monthSingle = await verifyMonthWith(1);
  console.log(`verify --month, ${jobs} worker thread(s): ${monthParallel.rate.toFixed(0)} events/s (${monthParallel.seconds.toFixed(1)} s, peak RSS ${mb(monthParallel.peakRss)} MB); ` +
    `in one thread: ${monthSingle.rate.toFixed(0)} events/s (${monthSingle.seconds.toFixed(1)} s, peak RSS ${mb(monthSingle.peakRss)} MB); ` +
    `ratio ${(monthParallel.rate / monthSingle.rate).toFixed(2)}`);

  // Where verification time goes: the same work without the database.
  const sample = await sql`select ${sql(entryColumns as unknown as string[])} from evident.audit_entries where organization_id = ${org} order by seq limit 20000`;
  const { toEntry } = await import("../../supabase/functions/_shared/trail.ts");
  const { checkEntry } = await import("../../supabase/functions/_shared/entry.ts");
  const entries = sample.map(toEntry);
  const cpuStart = performance.now();
  for (const entry of entries) checkEntry(entry, keyring);
  const perEntry = (performance.now() - cpuStart) / entries.length;
  console.log(`where time goes: recomputing one entry (RFC 8785 form, SHA-256, HMAC) takes ${(perEntry * 1000).toFixed(1)} µs of ` +
    `one core, which alone caps a thread at ${(1000 / perEntry).toFixed(0)} events/s; reading takes ${(1e6 / readRate).toFixed(1)} µs a row`);
} finally {
  await sql.end();
  await stack.stop();
}
