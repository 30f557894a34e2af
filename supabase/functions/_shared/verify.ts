// Verifying stored trails: streams each organisation's entries in seq order through a
// ChainVerifier (one COPY stream, trail-stream.ts), so memory stays flat however long the trail is. Shared by the
// CLI, the audit-verify function, certified exports and the compliance reports.
import { ChainVerifier, type ChainSummary } from "./chain.ts";
import type { Keyring } from "./keyring.ts";
import type { Queryable } from "./trail.ts";
import { forEachEntries } from "./trail-stream.ts";

export interface VerifyOptions {
  /** Only entries created at or after this instant (canonical or ISO timestamp). */
  from?: string;
  /** Only entries created before this instant. */
  to?: string;
  pageSize?: number;
  /** Called after every page with the entries checked so far in this walk. */
  onProgress?: (organizationId: string, checked: number) => void;
}

/** Where a walk starts: the entry before the first one it checks (seq 0 and no hash at genesis). */
export interface ChainAnchor {
  seq: number;
  hash: string | null;
}

/**
 * Verifies one organisation's chain. With `from`, the walk starts at the entry just before the
 * range (its hash anchors the first link) without re-verifying everything earlier.
 */
export async function verifyOrganization(
  sql: Queryable,
  organizationId: string,
  keyring: Keyring,
  options: VerifyOptions = {},
): Promise<ChainSummary> {
  return await verifyEntries(sql, organizationId, keyring, await walkStart(sql, organizationId, options.from), options);
}

/**
 * Where a verification of the organisation's trail (from `from`, if given) starts. Months dropped
 * by retention leave a tombstone recording where the chain continues: the walk starts there rather
 * than at genesis (docs/retention.md).
 */
export async function walkStart(sql: Queryable, organizationId: string, from?: string): Promise<ChainAnchor> {
  let start: ChainAnchor = await retentionBoundary(sql, organizationId) ?? { seq: 0, hash: null };
  if (from) {
    const [anchor] = await sql`
      select seq, entry_hash from public.audit_events
      where organization_id = ${organizationId}::uuid and created_at < ${from}::text::timestamptz
      order by seq desc limit 1`;
    if (anchor && Number(anchor.seq) > start.seq) start = { seq: Number(anchor.seq), hash: anchor.entry_hash };
  }
  return start;
}

/**
 * Checks the organisation's entries after `start` (through seq `through`, when given) in seq
 * order, the first one against `start`. Parallel verification (src/cli/verify/parallel.ts) runs
 * this over consecutive seq ranges and joins the results.
 */
export async function verifyEntries(
  sql: Queryable,
  organizationId: string,
  keyring: Keyring,
  start: ChainAnchor,
  options: VerifyOptions & { through?: number } = {},
): Promise<ChainSummary> {
  const verifier = new ChainVerifier(organizationId, keyring, start);
  let reported = 0;
  // One COPY stream over the range, in (seq, created_at) order, the trail's primary key within an
  // organisation: a row planted with a seq that already exists (a different created_at) is read and
  // fails, never skipped.
  const range = { afterSeq: start.seq, throughSeq: options.through, from: options.from, to: options.to };
  await forEachEntries(sql, organizationId, range, (entries) => {
    for (const entry of entries) verifier.push(entry);
    const checked = verifier.checked;
    if (options.onProgress && checked - reported >= progressEvery) {
      reported = checked;
      options.onProgress(organizationId, checked);
    }
  });
  const summary = verifier.summary();
  if (options.onProgress && summary.checked !== reported) options.onProgress(organizationId, summary.checked);
  return summary;
}

/** Entries between two progress reports. */
const progressEvery = 5000;

/** Where the organisation's chain continues after the months retention dropped, if any were. */
export async function retentionBoundary(sql: Queryable, organizationId: string): Promise<{ seq: number; hash: string } | undefined> {
  const [b] = await sql`select last_seq, last_hash from evident.retention_boundaries(array[${organizationId}::uuid])`;
  return b ? { seq: Number(b.last_seq), hash: b.last_hash } : undefined;
}

export interface HeadCheck {
  head_seq: number;
  head_hash: string | null;
  /** The walk ended exactly at the persisted head: nothing after it, nothing missing before it. */
  matches: boolean;
}

/**
 * Compares where a full walk ended with the persisted chain head. Deleting the newest entries
 * leaves every remaining link intact; only this comparison (and, later, signed checkpoints that
 * live outside the database) shows the tail is gone.
 */
export async function checkHead(sql: Queryable, summary: ChainSummary): Promise<HeadCheck> {
  const [head] = await sql`select seq, entry_hash from evident.read_chain_head(${summary.organization_id}::uuid)`;
  const headSeq = head ? Number(head.seq) : 0;
  const headHash = head?.entry_hash ?? null;
  // A walk that checked nothing (no entries since `from`) ends where it started: its last_hash is
  // its anchor's, and the head must be that entry (or, with no anchor, there must be no entries).
  const matches = summary.last_seq === null
    ? headHash === summary.last_hash && (headHash !== null || headSeq === 0)
    : headSeq === summary.last_seq && headHash === summary.last_hash;
  return { head_seq: headSeq, head_hash: headHash, matches };
}
