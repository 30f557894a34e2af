// npm run bench:archive: archiving, checking and restoring a month, with peak memory.
//   BENCH_EVENTS   entries in the month (default 200,000)
// Writes the month's events to the archive (the part of `evident seal` after the manifest), runs
// the backup drill's check on the file (`evident archive verify`) and restores it
// (`evident rehydrate`), each timed, while sampling RSS: all three stream, so the peak should not
// grow with the month.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import postgres from "postgres";
import { loadSignedMonth } from "./signed-trail.ts";
import { generateLocalSecrets } from "../stack/secrets.ts";
import { startThrowawayStack } from "../stack/stack.ts";
import { ExportSigner } from "../../supabase/functions/_shared/export-key.ts";
import { Keyring } from "../../supabase/functions/_shared/keyring.ts";
import { monthBounds, sealMonth } from "../../supabase/functions/_shared/seal.ts";
import { checkArchivedMonth, writeMonthEvents } from "../../src/cli/month-archive.ts";
import { rehydrate } from "../../src/cli/commands/rehydrate.ts";
import { publishKey } from "../../src/cli/archive.ts";
import { writeFileSync, mkdirSync } from "node:fs";

const total = Number(process.env.BENCH_EVENTS ?? 200_000);
const month = "2026-01";
const bounds = monthBounds(month)!;
const secrets = generateLocalSecrets();
const keyring = Keyring.parse(secrets.AUDIT_SIGNING_KEYS, secrets.AUDIT_ACTIVE_KEY_ID);
const signer = ExportSigner.parse(secrets.AUDIT_EXPORT_SIGNING_KEY);
const stack = await startThrowawayStack(secrets, (line) => process.stderr.write(`[stack] ${line}\n`));
const sql = postgres(stack.dbUrl, { max: 4, onnotice: () => {} });
const archive = mkdtempSync(path.join(tmpdir(), "evident-bench-archive-"));

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
async function measure<T>(label: string, work: () => Promise<T>): Promise<T> {
  peakRss = process.memoryUsage().rss;
  const before = peakRss;
  const start = performance.now();
  const result = await work();
  const seconds = (performance.now() - start) / 1000;
  console.log(`${label}: ${seconds.toFixed(1)} s, ${(total / seconds).toFixed(0)} entries/s; RSS ${mb(before)} MB before, peak ${mb(peakRss)} MB`);
  return result;
}

try {
  console.log(`bench:archive on PostgreSQL ${(await sql`select current_setting('server_version') as v`)[0].v}, ${total.toLocaleString("en")} entries\n`);
  const [{ id: org }] = await sql`insert into public.organizations (name) values ('bench archive') returning id`;
  await loadSignedMonth(sql, org, month, total, keyring);

  const outcome = await sealMonth(sql, bounds, keyring, signer);
  if (outcome.status !== "sealed") throw new Error(`seal did not happen: ${outcome.status}`);
  mkdirSync(path.join(archive, "manifests"), { recursive: true });
  writeFileSync(path.join(archive, "manifests", `${month}.json`), JSON.stringify({ manifest: outcome.manifest, signature: outcome.signature }));
  publishKey(archive, signer);

  const written = await measure("archive (evident seal's events file)", () => writeMonthEvents(sql, archive, bounds, outcome.manifest));
  if (written.status !== "written") throw new Error("not written");
  console.log(`  ${written.file}: ${(statSync(written.file).size / 1024 / 1024).toFixed(1)} MB gzip, ${(statSync(written.file).size / total).toFixed(0)} bytes an entry`);
  const check = await measure("check (evident archive verify)", () => checkArchivedMonth(archive, bounds, keyring));
  if (!check.valid) throw new Error(`archive check failed: ${check.problems.join("; ")}`);
  process.env.DB_URL = stack.dbUrl;
  process.env.AUDIT_SIGNING_KEYS = secrets.AUDIT_SIGNING_KEYS;
  const code = await measure("restore (evident rehydrate)", () => rehydrate(["--month", month, "--archive", archive]));
  if (code !== 0) throw new Error(`rehydrate exited ${code}`);
} finally {
  clearInterval(sampler);
  rmSync(archive, { recursive: true, force: true });
  await sql.end();
  await stack.stop();
}
