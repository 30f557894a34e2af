// Sealing a finished month: check every entry's place in its chain and the signature over its
// hash (or, with `full`, its contents too), compute the RFC 6962 roots (all entries in
// (organization_id, seq) order, and each organisation's own) in the same pass, count what the
// transparency SQL counts, sign the manifest with the export key and record it. Streams the
// month, so memory does not grow with its size.
import canonicalize from "canonicalize";
import { hexToBytes } from "./crypto.ts";
import { hasSqlState } from "./errors.ts";
import { type ExportSigner, verifyExportSignature } from "./export-key.ts";
import type { Keyring } from "./keyring.ts";
import {
  canonicalBytes,
  manifestBytes,
  type ManifestPayload,
  manifestVersion,
  type OrganizationRoot,
  sealedOrganizationMonth,
} from "./manifest.ts";
import { leafHash } from "./merkle/hash.ts";
import { MerkleRoot, NodeMemo } from "./merkle/root.ts";
import { type Queryable, type StoredEntry, toEntry } from "./trail.ts";
import { entryBatches, monthCopyStatement } from "./trail-stream.ts";
import { type ChainLink, type ChainSummary, ChainVerifier } from "./chain.ts";
import type { EntryCheck } from "./entry.ts";

export interface MonthBounds {
  month: string;
  partitionName: string;
  start: string;
  end: string;
  startDate: string;
  endDate: string;
}

/** YYYY-MM to the month's UTC bounds and its manifest's names; undefined if malformed. */
export function monthBounds(month: string): MonthBounds | undefined {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match) return undefined;
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  const next = new Date(Date.UTC(year, index + 1, 1));
  const last = new Date(Date.UTC(year, index + 1, 0));
  return {
    month,
    partitionName: `audit_events_${match[1]}_${match[2]}`,
    start: `${month}-01T00:00:00.000000Z`,
    end: `${next.toISOString().slice(0, 19)}.000000Z`,
    startDate: `${month}-01`,
    endDate: last.toISOString().slice(0, 10),
  };
}

export type SealOutcome =
  | { status: "sealed"; manifest: ManifestPayload; signature: string }
  | { status: "already_sealed"; sealed_at: string }
  | { status: "not_finished"; ends: string }
  | { status: "does_not_verify"; failures: ChainSummary[] };

export interface SealOptions {
  /**
   * Also recompute every entry's hash from its contents (as `evident verify` does). By default a
   * seal checks what its roots commit to: every link, every sequence number, and every signature
   * over a stored hash (docs/sealing.md explains why that is sound).
   */
  full?: boolean;
  onProgress?: (sealed: number) => void;
}

export async function sealMonth(
  sql: Queryable,
  bounds: MonthBounds,
  keyring: Keyring,
  signer: ExportSigner,
  options: SealOptions = {},
): Promise<SealOutcome> {
  const [clock] = await sql`
    select evident.canonical_timestamp(now()) as now, now() >= ${bounds.end}::text::timestamptz as finished,
      (select evident.canonical_timestamp(sealed_at) from public.partition_manifests where partition_name = ${bounds.partitionName}) as sealed_at`;
  if (clock.sealed_at) return { status: "already_sealed", sealed_at: clock.sealed_at };
  if (!clock.finished) return { status: "not_finished", ends: bounds.end };

  // The counts and the DSA report's facts are the database's work and the pass is ours: they
  // overlap (on a pool; one connection runs them in turn). Recording the manifest keeps the staged
  // facts (20261207003010_dsa_sealed_facts.sql).
  const [pass, aggregates] = await Promise.all([
    monthPass(sql, bounds, keyring, options.full ? "full" : "links", { onProgress: options.onProgress }),
    monthAggregates(sql, bounds),
    sql`select evident.stage_dsa_facts(${bounds.partitionName})`,
  ]);
  if (pass.failures.length > 0) return { status: "does_not_verify", failures: pass.failures };

  const month = {
    partition_name: bounds.partitionName,
    partition_start_date: bounds.startDate,
    partition_end_date: bounds.endDate,
    record_count: pass.recordCount,
    checksum: pass.checksum,
    sealed_at: clock.now,
    signing_key_id: signer.keyId,
  };
  const manifest: ManifestPayload = {
    manifest_version: manifestVersion,
    ...month,
    organization_roots: pass.roots.map((root) => ({ ...root, signature: signer.sign(canonicalBytes(sealedOrganizationMonth(month, root))) })),
    aggregates,
  };
  const signature = signer.sign(manifestBytes(manifest));
  await sql`select evident.record_manifest(${sql.json({ ...manifest, signature } as never)})`;
  return { status: "sealed", manifest, signature };
}

/**
 * After sealMonth threw: already_sealed when another sealer (the CLI, the scheduled function, an
 * overlapping run) recorded the month first: EVM02 if it had committed when ours checked, a
 * unique violation if both were recording at once. Anything else is thrown again. Call it with a
 * connection outside the failed transaction.
 */
export async function sealedByAnother(sql: Queryable, bounds: MonthBounds, error: unknown): Promise<SealOutcome> {
  // 23505: unique_violation, PostgreSQL's own code for the second of two concurrent inserts.
  if (!hasSqlState(error, "alreadySealed") && (error as { code?: string }).code !== "23505") throw error;
  const [row] = await sql`
    select evident.canonical_timestamp(sealed_at) as sealed_at from public.partition_manifests where partition_name = ${bounds.partitionName}`;
  if (!row) throw error;
  return { status: "already_sealed", sealed_at: row.sealed_at as string };
}

/**
 * Recomputes entries' hashes and signatures (checkEntry, entry.ts) somewhere else than in the
 * pass's own thread: the CLI's runs them on worker threads (src/cli/verify/entry-checker.ts).
 * Answers one EntryCheck per entry, in the entries' order. Whatever it is, the pass's result is the
 * one checkEntry in this thread gives.
 */
export interface EntryChecker {
  /** Batches handed over and not yet taken back at most (memory: that many batches, plus one read ahead). */
  readonly depth: number;
  check(entries: StoredEntry[]): Promise<EntryCheck[]>;
}

export interface MonthPassOptions {
  /** Called after every batch with the entries passed so far. */
  onProgress?: (n: number) => void;
  /** Where a "full" pass recomputes entries; by default checkEntry in this thread. */
  checker?: EntryChecker;
}

export interface MonthPass {
  recordCount: number;
  /** RFC 6962 root over every entry hash of the month in (organization_id, seq) order. */
  checksum: string;
  roots: OrganizationRoot[];
  /** Organisations whose entries in the month do not verify. */
  failures: ChainSummary[];
}

/**
 * One streaming pass over a month in (organization_id, seq) order: each organisation's chain is
 * verified from the entry before the month (by links and signatures, or in full), and the same
 * leaves feed the month's tree and the organisation's. Memory stays flat.
 */
export async function monthPass(
  sql: Queryable,
  bounds: MonthBounds,
  keyring: Keyring,
  mode: "links" | "full",
  options: MonthPassOptions = {},
): Promise<MonthPass> {
  const inMonth = sql`created_at >= ${bounds.start}::text::timestamptz and created_at < ${bounds.end}::text::timestamptz`;
  // Where each organisation's chain enters the month: its last entry recorded before the month (so
  // a deleted first entry of the month shows as a gap), or, where retention dropped the months
  // before, the tombstone's boundary; with neither, the chain must start in the month at seq 1.
  const anchors = new Map<string, { seq: number; hash: string | null }>();
  const firsts = await sql`select organization_id, min(seq)::bigint as first_seq from public.audit_events where ${inMonth} group by 1`;
  const entering = firsts.filter((f) => Number(f.first_seq) > 1).map((f) => f.organization_id as string);
  const found = entering.length === 0 ? [] : await sql`
    select a.organization_id, e.seq, e.entry_hash
    from unnest(${entering}::uuid[]) as a(organization_id)
    cross join lateral (
      select p.seq, p.entry_hash from public.audit_events p
      where p.organization_id = a.organization_id and p.created_at < ${bounds.start}::text::timestamptz
      order by p.seq desc limit 1) e`;
  const dropped = entering.length === 0 ? [] : await sql`
    select organization_id, last_seq, last_hash from evident.retention_boundaries(${entering}::uuid[])`;
  for (const b of dropped) anchors.set(b.organization_id, { seq: Number(b.last_seq), hash: b.last_hash });
  for (const e of found) {
    if (Number(e.seq) >= (anchors.get(e.organization_id)?.seq ?? 0)) anchors.set(e.organization_id, { seq: Number(e.seq), hash: e.entry_hash });
  }

  // One ordered read (keyset pages would each be planned again, and the planner cannot see the
  // month's bounds); in full, one COPY stream of the entries as they were signed (trail-stream.ts).
  const source = mode === "full"
    ? entryBatches(sql, monthCopyStatement(bounds.start, bounds.end), 2000) as AsyncIterable<Array<Record<string, unknown>>>
    : sql`select organization_id, seq, id, previous_hash, entry_hash, signature, key_id from public.audit_events
        where ${inMonth} order by organization_id, seq`.cursor(5000);
  return await monthPassOver(source, (organizationId) => anchors.get(organizationId) ?? { seq: 0, hash: null }, keyring, mode, options);
}

/** Where an organisation's chain enters a month, given its first entry there. */
export type MonthAnchor = (organizationId: string, first: Record<string, unknown>) => { seq: number; hash: string | null };

/**
 * The pass itself, over any source of the month's rows in (organization_id, seq) order: the live
 * trail (monthPass), an archived copy read from its file, or a rehydrated copy in its own schema.
 * The next batch is asked for before this one is hashed, so the source produces rows while we
 * work; at most two batches are held. With a checker, a "full" pass hands each batch's entries to
 * it as the batch arrives and walks the batches in order as their checks come back: links,
 * sequence, trees and failures are this thread's, in order, whoever recomputed the entries; at
 * most checker.depth batches wait for their checks.
 */
export async function monthPassOver(
  source: AsyncIterable<Array<Record<string, unknown>>>,
  anchorFor: MonthAnchor,
  keyring: Keyring,
  mode: "links" | "full",
  { onProgress, checker }: MonthPassOptions = {},
): Promise<MonthPass> {
  // The month's tree and each organisation's share every node where the organisation's leaves are
  // aligned in the month's (the first organisation: all of them); the memo computes those once.
  const memo = new NodeMemo();
  const all = new MerkleRoot(memo);
  const roots: OrganizationRoot[] = [];
  const failures: ChainSummary[] = [];
  let current: { verifier: ChainVerifier; tree: MerkleRoot; first: number; last: number; lastHash: string } | undefined;
  const close = () => {
    if (!current) return;
    const summary = current.verifier.summary();
    if (!summary.valid) failures.push(summary);
    roots.push({
      organization_id: current.verifier.organizationId,
      first_seq: current.first,
      last_seq: current.last,
      count: current.tree.size,
      root: Buffer.from(current.tree.root()).toString("hex"),
      last_hash: current.lastHash,
    });
  };
  /** One batch in order; `entries` and `checks` when they were recomputed elsewhere. */
  const walk = (rows: Array<Record<string, unknown>>, entries?: StoredEntry[], checks?: EntryCheck[]) => {
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      const organizationId = row.organization_id as string;
      const entryHash = row.entry_hash as string;
      let group = current;
      if (!group || group.verifier.organizationId !== organizationId) {
        close();
        group = current = { verifier: new ChainVerifier(organizationId, keyring, anchorFor(organizationId, row)), tree: new MerkleRoot(memo), first: Number(row.seq), last: 0, lastHash: "" };
      }
      const hashBytes = hexToBytes(entryHash);
      row.seq = Number(row.seq);
      if (mode === "full") group.verifier.push(entries?.[i] ?? toEntry(row), checks?.[i]);
      else group.verifier.pushLink(row as unknown as ChainLink, hashBytes);
      const leaf = leafHash(hashBytes);
      group.tree.pushLeafHash(leaf);
      all.pushLeafHash(leaf);
      group.last = Number(row.seq);
      group.lastHash = entryHash;
    }
    onProgress?.(all.size);
  };
  const elsewhere = mode === "full" ? checker : undefined;
  const waiting: Array<{ rows: Array<Record<string, unknown>>; entries: StoredEntry[]; checks: Promise<EntryCheck[]> }> = [];
  const batches = source[Symbol.asyncIterator]();
  // Awaited later, perhaps after something else failed: never an unhandled rejection meanwhile.
  const settled = <T>(promise: Promise<T>) => (promise.catch(() => {}), promise);
  let next = settled(batches.next());
  try {
    for (;;) {
      const { value: rows, done } = await next;
      if (done) break;
      next = settled(batches.next());
      if (!elsewhere) {
        walk(rows);
        continue;
      }
      const entries = rows.map(toEntry);
      waiting.push({ rows, entries, checks: settled(elsewhere.check(entries)) });
      if (waiting.length > elsewhere.depth) {
        const oldest = waiting.shift()!;
        walk(oldest.rows, oldest.entries, await oldest.checks);
      }
    }
  } catch (error) {
    // The source is left as its own end would leave it (a COPY stream read to its end, a cursor closed).
    await batches.return?.(undefined).catch(() => {});
    throw error;
  }
  for (const batch of waiting) walk(batch.rows, batch.entries, await batch.checks);
  close();
  return { recordCount: all.size, checksum: Buffer.from(all.root()).toString("hex"), roots, failures };
}

/**
 * What disagrees between a signed manifest and a pass over the month's entries (live, archived or
 * rehydrated): the manifest's signature and every organisation's statement, every failing entry,
 * the record count, the month's root and each organisation's root, range and last hash.
 */
export function manifestProblems(manifest: ManifestPayload, signature: string, publicKeyPem: string, now: MonthPass): string[] {
  const problems: string[] = [];
  if (!verifyExportSignature(manifestBytes(manifest), signature, publicKeyPem)) {
    problems.push(`the manifest's signature does not verify with the public key (key id ${manifest.signing_key_id})`);
  }
  for (const f of now.failures) {
    problems.push(`organization ${f.organization_id}: entry seq ${f.first_failure?.seq} fails (${f.first_failure?.failures.join(", ")})`);
  }
  if (now.recordCount !== manifest.record_count) problems.push(`the month holds ${now.recordCount} entries, the manifest ${manifest.record_count}`);
  if (now.checksum !== manifest.checksum) problems.push(`the month's Merkle root is ${now.checksum}, the manifest's ${manifest.checksum}`);
  for (const root of manifest.organization_roots) {
    const statement = sealedOrganizationMonth(manifest, root);
    if (!root.signature || !verifyExportSignature(canonicalBytes(statement), root.signature, publicKeyPem)) {
      problems.push(`organization ${root.organization_id}'s sealed-month statement does not verify with the public key`);
    }
  }
  const sealedRoots = new Map(manifest.organization_roots.map(({ signature: _signature, ...r }) => [r.organization_id, r]));
  for (const root of now.roots) {
    const sealed = sealedRoots.get(root.organization_id);
    if (!sealed) problems.push(`organization ${root.organization_id} has entries the manifest does not list`);
    // Compared in canonical form: jsonb keeps object keys in an order of its own.
    else if (canonicalize(sealed) !== canonicalize(root)) {
      problems.push(`organization ${root.organization_id}: entries ${root.first_seq}..${root.last_seq} (${root.count}) do not match the sealed ${sealed.first_seq}..${sealed.last_seq} (${sealed.count}) or their root`);
    }
    sealedRoots.delete(root.organization_id);
  }
  for (const missing of sealedRoots.keys()) problems.push(`organization ${missing}'s sealed entries are gone`);
  return problems;
}

export type SealedMonthCheck =
  | { status: "not_sealed" }
  | { status: "dropped"; dropped_at: string; archive_sha256: string }
  | { status: "checked"; valid: boolean; problems: string[]; entry_failures: ChainSummary[]; manifest: ManifestPayload };

/**
 * Re-verifies a sealed month against its manifest: the manifest's signature, every entry, and the
 * roots and counts recomputed from the rows. Records the outcome on the manifest (verified or
 * tampered). `options.onProgress` is also given the manifest's record count, first before the pass.
 */
export async function verifySealedMonth(
  sql: Queryable,
  bounds: MonthBounds,
  keyring: Keyring,
  publicKeyPem: string,
  options: Omit<MonthPassOptions, "onProgress"> & { onProgress?: (n: number, total: number) => void } = {},
): Promise<SealedMonthCheck> {
  const sealed = await readManifest(sql, bounds.partitionName);
  if (!sealed) return { status: "not_sealed" };
  // A month retention dropped is checked in its archive (evident archive verify), not here.
  const [tombstone] = await sql`select evident.canonical_timestamp(dropped_at) as dropped_at, archive_sha256
    from evident.retention_tombstones where partition_name = ${bounds.partitionName}`;
  if (tombstone) return { status: "dropped", dropped_at: tombstone.dropped_at, archive_sha256: tombstone.archive_sha256 };
  const { manifest, signature } = sealed;
  const total = Number(manifest.record_count) || 0;
  const onProgress = options.onProgress && ((n: number) => options.onProgress!(n, total));
  onProgress?.(0);
  const now = await monthPass(sql, bounds, keyring, "full", { checker: options.checker, onProgress });
  const entryFailures = now.failures;
  const problems = manifestProblems(manifest, signature, publicKeyPem, now);
  const valid = problems.length === 0;
  await sql`select evident.record_manifest_verification(${bounds.partitionName}, ${valid})`;
  return { status: "checked", valid, problems, entry_failures: entryFailures, manifest };
}

/** A sealed month's manifest as recorded, and its signature; undefined if the month is not sealed. */
export async function readManifest(sql: Queryable, partitionName: string): Promise<{ manifest: ManifestPayload; signature: string } | undefined> {
  const [row] = await sql`
    select partition_name, partition_start_date::text as start_date, partition_end_date::text as end_date,
      record_count, checksum, organization_roots, aggregates, evident.canonical_timestamp(sealed_at) as sealed_at,
      signature, signing_key_id
    from public.partition_manifests where partition_name = ${partitionName}`;
  if (!row) return undefined;
  return {
    manifest: {
      manifest_version: manifestVersion,
      partition_name: row.partition_name,
      partition_start_date: row.start_date,
      partition_end_date: row.end_date,
      record_count: Number(row.record_count),
      checksum: row.checksum,
      organization_roots: row.organization_roots,
      aggregates: row.aggregates,
      sealed_at: row.sealed_at,
      signing_key_id: row.signing_key_id,
    },
    signature: row.signature,
  };
}

/**
 * What the transparency SQL counts, per organisation and per month of the events' own timestamp
 * (the seed SQL filters on "timestamp", not on when Evident recorded them).
 */
export async function monthAggregates(sql: Queryable, bounds: MonthBounds): Promise<Record<string, unknown>> {
  const rows = await sql`
    select organization_id, to_char("timestamp" at time zone 'UTC', 'YYYY-MM') as month, event_type,
      case event_type
        when 'report_submitted' then metadata ->> 'report_type'
        when 'decision_made' then metadata ->> 'action'
        when 'appeal_decided' then metadata ->> 'outcome'
      end as facet,
      count(*)::int as n,
      count(*) filter (where metadata ->> 'is_trusted_flagger' = 'true')::int as trusted,
      coalesce(array_agg(distinct metadata ->> 'trusted_flagger_id') filter (where metadata ->> 'is_trusted_flagger' = 'true'), '{}') as flaggers
    from public.audit_events
    where created_at >= ${bounds.start}::text::timestamptz and created_at < ${bounds.end}::text::timestamptz
    group by 1, 2, 3, 4
    order by 1, 2, 3, 4`;
  type Bucket = {
    events: Record<string, number>;
    report_types: Record<string, number>;
    decision_actions: Record<string, number>;
    appeal_outcomes: Record<string, number>;
    trusted_flagger_reports: number;
    trusted_flagger_ids: string[];
  };
  const byOrganization: Record<string, Record<string, Bucket>> = {};
  const facetKey: Record<string, keyof Bucket> = {
    report_submitted: "report_types",
    decision_made: "decision_actions",
    appeal_decided: "appeal_outcomes",
  };
  for (const row of rows) {
    const months = (byOrganization[row.organization_id] ??= {});
    const bucket = (months[row.month] ??= {
      events: {}, report_types: {}, decision_actions: {}, appeal_outcomes: {}, trusted_flagger_reports: 0, trusted_flagger_ids: [],
    });
    bucket.events[row.event_type] = (bucket.events[row.event_type] ?? 0) + row.n;
    const key = facetKey[row.event_type];
    if (key && row.facet !== null) {
      const counts = bucket[key] as Record<string, number>;
      counts[row.facet] = (counts[row.facet] ?? 0) + row.n;
    }
    if (row.event_type === "report_submitted") {
      bucket.trusted_flagger_reports += row.trusted;
      bucket.trusted_flagger_ids = [...new Set([...bucket.trusted_flagger_ids, ...row.flaggers])].sort();
    }
  }
  return { by_organization: byOrganization };
}
