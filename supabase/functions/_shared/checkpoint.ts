// Signed chain-head checkpoints (docs/sealing.md): an organisation's (seq, entry_hash) signed with
// the export key over its RFC 8785 form. Since each entry hashes the one before, the signed hash
// commits to the whole chain up to that seq. Version 2 adds a tree head: the RFC 6962 root over the
// organisation's entries of the checkpoint's month up to that seq, against which a single entry of
// a month not yet sealed can be proven with an inclusion proof (docs/certified-export.md).
import canonicalize from "canonicalize";
import { hexToBytes } from "./crypto.ts";
import { type ExportSigner, verifyExportSignature } from "./export-key.ts";
import { MerkleTree } from "./merkle/tree.ts";
import type { Queryable } from "./trail.ts";
import { retentionBoundary } from "./verify.ts";

export const checkpointVersion = 2;

export interface TreeHead {
  /** The month (its partition) whose entries the tree holds. */
  partition_name: string;
  /** seq of the organisation's first entry in that month: leaf 0. */
  first_seq: number;
  /** Leaves: entries first_seq .. first_seq + size - 1, the last one being the checkpoint's. */
  size: number;
  root: string;
}

export interface CheckpointPayload {
  checkpoint_version: number;
  organization_id: string;
  seq: number;
  entry_hash: string;
  checkpointed_at: string;
  signing_key_id: string;
  tree?: TreeHead;
}

export interface SignedCheckpoint {
  checkpoint: CheckpointPayload;
  signature: string;
}

export function checkpointBytes(payload: CheckpointPayload): Uint8Array {
  return new TextEncoder().encode(canonicalize(payload) ?? "");
}

export interface CheckpointRun {
  signed: SignedCheckpoint[];
  /** Heads that name no entry of their trail (tampered or broken): never vouched for. */
  refused: Array<{ organization_id: string; seq: number; reason: string }>;
}

/**
 * The organisation's entries of the month that holds entry `seq`, from the month's first through
 * `seq`, as a Merkle tree (leaf data: the raw entry hashes). Months are contiguous runs of seq,
 * because created_at never goes back along a chain.
 */
export async function monthTreeThrough(sql: Queryable, organizationId: string, seq: number): Promise<{ partitionName: string; firstSeq: number; tree: MerkleTree }> {
  const [month] = await sql`
    select 'audit_events_' || to_char(date_trunc('month', created_at at time zone 'UTC'), 'YYYY_MM') as partition_name,
      date_trunc('month', created_at at time zone 'UTC') at time zone 'UTC' as starts
    from public.audit_events where organization_id = ${organizationId}::uuid and seq = ${seq}`;
  if (!month) throw new Error(`organization ${organizationId} has no entry seq ${seq}`);
  const rows = await sql`
    select seq, entry_hash from public.audit_events
    where organization_id = ${organizationId}::uuid and created_at >= ${month.starts} and seq <= ${seq}
    order by seq`;
  return { partitionName: month.partition_name, firstSeq: Number(rows[0].seq), tree: new MerkleTree(rows.map((r) => hexToBytes(r.entry_hash))) };
}

/** Signs and records the current head of every organisation (or the given ones) not yet checkpointed there. */
export async function checkpointHeads(sql: Queryable, signer: ExportSigner, organizations?: string[]): Promise<CheckpointRun> {
  const heads = await sql`
    select organization_id, seq, entry_hash, evident.canonical_timestamp(now()) as now
    from evident.heads_to_checkpoint(${organizations ?? null}::uuid[])`;
  const signed: SignedCheckpoint[] = [];
  const refused: CheckpointRun["refused"] = [];
  for (const head of heads) {
    const [{ recorded }] = await sql`
      select exists (
        select 1 from public.audit_events e
        where e.organization_id = ${head.organization_id}::uuid and e.seq = ${head.seq} and e.entry_hash = ${head.entry_hash}
      ) as recorded`;
    if (!recorded) {
      refused.push({ organization_id: head.organization_id, seq: Number(head.seq), reason: "the chain head names no entry of the trail" });
      continue;
    }
    // The tree head must hold exactly one entry per seq up to the head; a trail with entries
    // missing or planted there is refused here, as evident.record_checkpoint would refuse it (an
    // error that would end the run for every other organisation too).
    let month: Awaited<ReturnType<typeof monthTreeThrough>>;
    try {
      month = await monthTreeThrough(sql, head.organization_id, Number(head.seq));
    } catch (error) {
      // A stored hash that is not hex cannot be a leaf.
      if (!(error instanceof TypeError)) throw error;
      refused.push({ organization_id: head.organization_id, seq: Number(head.seq), reason: `the month's entries cannot form a tree: ${error.message}` });
      continue;
    }
    if (month.firstSeq + month.tree.size - 1 !== Number(head.seq)) {
      refused.push({
        organization_id: head.organization_id,
        seq: Number(head.seq),
        reason: `the month's entries from seq ${month.firstSeq} to the head number ${month.tree.size}, not one per seq: entries were removed or planted`,
      });
      continue;
    }
    signed.push(await signCheckpoint(sql, signer, head.organization_id, Number(head.seq), head.entry_hash, head.now, month));
  }
  return { signed, refused };
}

/**
 * Signs entry `seq` (which must exist with `entryHash`) with its month's tree head, and records it.
 * A caller that already built the month's tree (from monthTreeThrough) passes it in.
 */
export async function signCheckpoint(
  sql: Queryable,
  signer: ExportSigner,
  organizationId: string,
  seq: number,
  entryHash: string,
  now: string,
  month?: { partitionName: string; firstSeq: number; tree: MerkleTree },
): Promise<SignedCheckpoint> {
  const { partitionName, firstSeq, tree } = month ?? await monthTreeThrough(sql, organizationId, seq);
  const checkpoint: CheckpointPayload = {
    checkpoint_version: checkpointVersion,
    organization_id: organizationId,
    seq,
    entry_hash: entryHash,
    checkpointed_at: now,
    signing_key_id: signer.keyId,
    tree: { partition_name: partitionName, first_seq: firstSeq, size: tree.size, root: Buffer.from(tree.root()).toString("hex") },
  };
  const signature = signer.sign(checkpointBytes(checkpoint));
  await sql`select evident.record_checkpoint(${sql.json({ ...checkpoint, signature } as never)})`;
  return { checkpoint, signature };
}

/**
 * Whether the trail still holds the entry a checkpoint signed. Undefined when it does; otherwise
 * what is wrong. (The walk that precedes this check has verified the links up to the trail's end,
 * so the signed entry being in place means everything before it is too.)
 */
export async function checkpointProblem(sql: Queryable, checkpoint: { organization_id: string; seq: number; entry_hash: string; checkpointed_at: string }): Promise<string | undefined> {
  const [row] = await sql`select entry_hash from public.audit_events where organization_id = ${checkpoint.organization_id}::uuid and seq = ${checkpoint.seq}`;
  if (!row) {
    // Retention may have dropped it: at the tombstone's boundary the recorded hash must be the one
    // signed; below it, the sealed month (and its archived copy) is what vouches for the entry.
    const boundary = await retentionBoundary(sql, checkpoint.organization_id);
    if (boundary && checkpoint.seq < boundary.seq) return undefined;
    if (boundary && checkpoint.seq === boundary.seq) {
      return boundary.hash === checkpoint.entry_hash ? undefined
        : `the retention tombstone records hash ${boundary.hash} at seq ${checkpoint.seq}, but the checkpoint of ${checkpoint.checkpointed_at} signed ${checkpoint.entry_hash}`;
    }
    return `the trail no longer holds entry seq ${checkpoint.seq}, which the checkpoint of ${checkpoint.checkpointed_at} signed: entries were removed`;
  }
  if (row.entry_hash !== checkpoint.entry_hash) {
    return `entry seq ${checkpoint.seq} has hash ${row.entry_hash}, but the checkpoint of ${checkpoint.checkpointed_at} signed ${checkpoint.entry_hash}: the trail was rewritten`;
  }
  return undefined;
}

/** The organisation's newest stored checkpoint, rebuilt exactly as it was signed. */
export async function latestStoredCheckpoint(sql: Queryable, organizationId: string): Promise<SignedCheckpoint | undefined> {
  const [row] = await sql`
    select organization_id, seq, entry_hash, evident.canonical_timestamp(checkpointed_at) as checkpointed_at, signature, signing_key_id, tree
    from evident.checkpoints where organization_id = ${organizationId}::uuid order by seq desc limit 1`;
  if (!row) return undefined;
  return {
    checkpoint: {
      checkpoint_version: row.tree ? 2 : 1,
      organization_id: row.organization_id,
      seq: Number(row.seq),
      entry_hash: row.entry_hash,
      checkpointed_at: row.checkpointed_at,
      signing_key_id: row.signing_key_id,
      ...(row.tree ? { tree: row.tree } : {}),
    },
    signature: row.signature,
  };
}

/**
 * What is wrong with a signed checkpoint against the trail: its signature, when a public key
 * with its key id is given (a checkpoint edited in place fails it), and whether the trail still
 * holds the entry it signed.
 */
export async function signedCheckpointProblems(
  sql: Queryable,
  signed: SignedCheckpoint,
  publicKeys: Map<string, string>,
  label = "the checkpoint",
): Promise<string[]> {
  const { checkpoint } = signed;
  const pem = publicKeys.get(checkpoint.signing_key_id);
  if (pem && !verifyExportSignature(checkpointBytes(checkpoint), signed.signature, pem)) {
    return [`${label} at seq ${checkpoint.seq} does not verify with key ${checkpoint.signing_key_id}: it was altered`];
  }
  const problem = await checkpointProblem(sql, checkpoint);
  return problem ? [label === "the checkpoint" ? problem : `${label}: ${problem}`] : [];
}
