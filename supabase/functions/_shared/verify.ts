// Verifying stored trails: streams each organisation's entries in seq order through a
// ChainVerifier (one COPY stream, trail-stream.ts), so memory stays flat however long the trail is. Shared by the
// CLI, the audit-verify function, certified exports and the compliance reports.
import { type ChainSummary, ChainVerifier } from "./chain.ts";
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
  options: VerifyOptions & { through?: number } = {},
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
  /**
   * The walk ended exactly at the persisted head (nothing missing before it), and no entry lies
   * beyond the head (none planted past it, and it was not moved back).
   */
  matches: boolean;
  entries_beyond_head: boolean;
}

/**
 * The persisted head: seq 0 and no hash for an organisation without one; `exists` is false when
 * there is no head row at all (never appended to, or deleted).
 */
export async function readHead(sql: Queryable, organizationId: string): Promise<ChainAnchor & { exists: boolean }> {
  const [head] = await sql`select seq, entry_hash from evident.read_chain_head(${organizationId}::uuid)`;
  return { seq: head ? Number(head.seq) : 0, hash: head?.entry_hash ?? null, exists: head !== undefined };
}

/**
 * Verifies the organisation's trail and that it ends at its persisted chain head, exactly, while
 * appends go on. The head is read first and the walk goes up to it only: entries appended
 * meanwhile lie beyond it and are left to the next run, instead of looking like a head that was
 * moved back. Whether any entry lies beyond the head is asked separately, in one statement that
 * sees the head and the trail in the same snapshot (evident.chain_head_state), so an append that
 * commits meanwhile cannot make it answer yes either. Nothing is locked: appends are not held up.
 */
export async function verifyAgainstHead(
  sql: Queryable,
  organizationId: string,
  keyring: Keyring,
  options: Omit<VerifyOptions, "to"> & { walk?: (through: number | undefined) => Promise<ChainSummary> } = {},
): Promise<{ summary: ChainSummary; head: HeadCheck }> {
  const head = await readHead(sql, organizationId);
  // Without a head row there is nothing to stop at: everything is walked (and found beyond it).
  const through = head.exists ? head.seq : undefined;
  const summary = options.walk
    ? await options.walk(through)
    : await verifyOrganization(sql, organizationId, keyring, { ...options, through });
  return { summary, head: await checkHead(sql, summary, head) };
}

/**
 * Compares where a walk that went up to `head` (read before it) ended with that head, and asks
 * whether entries lie beyond the head now. Deleting the newest entries leaves every remaining link
 * intact; only this comparison (and signed checkpoints outside the database) shows the tail is gone.
 */
export async function checkHead(sql: Queryable, summary: ChainSummary, head: ChainAnchor): Promise<HeadCheck> {
  const [state] = await sql`select seq, entry_hash, entries_beyond_head from evident.chain_head_state(${summary.organization_id}::uuid)`;
  // The head may have moved on since it was read, by appends; entries past the head as it is now
  // are what no append accounts for.
  const beyond = Boolean(state?.entries_beyond_head);
  // A walk that checked nothing (no entries since `from`) ends where it started: its last_hash is
  // its anchor's, and the head must be that entry (or, with no anchor, there must be no entries).
  const endsAtHead = summary.last_seq === null
    ? head.hash === summary.last_hash && (head.hash !== null || head.seq === 0)
    : head.seq === summary.last_seq && head.hash === summary.last_hash;
  return { head_seq: head.seq, head_hash: head.hash, matches: endsAtHead && !beyond, entries_beyond_head: beyond };
}
