// Signed chain-head checkpoints (docs/sealing.md): an organisation's (seq, entry_hash) signed with
// the export key over its RFC 8785 form. Since each entry hashes the one before, the signed hash
// commits to the whole chain up to that seq.
import canonicalize from "canonicalize";
import type { ExportSigner } from "./export-key.ts";
import type { Queryable } from "./trail.ts";

export const checkpointVersion = 1;

export interface CheckpointPayload {
  checkpoint_version: number;
  organization_id: string;
  seq: number;
  entry_hash: string;
  checkpointed_at: string;
  signing_key_id: string;
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

/** Signs and records the current head of every organisation (or the given ones) not yet checkpointed there. */
export async function checkpointHeads(sql: Queryable, signer: ExportSigner, organizations?: string[]): Promise<CheckpointRun> {
  const heads = await sql`
    select h.organization_id, h.seq, h.entry_hash, evident.canonical_timestamp(now()) as now
    from evident.chain_heads h
    where h.seq > 0
      ${organizations ? sql`and h.organization_id = any(${organizations}::uuid[])` : sql``}
      and not exists (select 1 from evident.checkpoints c where c.organization_id = h.organization_id and c.seq = h.seq)
    order by h.organization_id`;
  const signed: SignedCheckpoint[] = [];
  const refused: CheckpointRun["refused"] = [];
  for (const head of heads) {
    const checkpoint: CheckpointPayload = {
      checkpoint_version: checkpointVersion,
      organization_id: head.organization_id,
      seq: Number(head.seq),
      entry_hash: head.entry_hash,
      checkpointed_at: head.now,
      signing_key_id: signer.keyId,
    };
    const signature = signer.sign(checkpointBytes(checkpoint));
    const [{ recorded }] = await sql`
      select exists (
        select 1 from public.audit_events e
        where e.organization_id = ${checkpoint.organization_id}::uuid and e.seq = ${checkpoint.seq} and e.entry_hash = ${checkpoint.entry_hash}
      ) as recorded`;
    if (!recorded) {
      refused.push({ organization_id: checkpoint.organization_id, seq: checkpoint.seq, reason: "the chain head names no entry of the trail" });
      continue;
    }
    await sql`select evident.record_checkpoint(${sql.json({ ...checkpoint, signature } as never)})`;
    signed.push({ checkpoint, signature });
  }
  return { signed, refused };
}

/**
 * Whether the trail still holds the entry a checkpoint signed. Undefined when it does; otherwise
 * what is wrong. (The walk that precedes this check has verified the links up to the trail's end,
 * so the signed entry being in place means everything before it is too.)
 */
export async function checkpointProblem(sql: Queryable, checkpoint: { organization_id: string; seq: number; entry_hash: string; checkpointed_at: string }): Promise<string | undefined> {
  const [row] = await sql`select entry_hash from public.audit_events where organization_id = ${checkpoint.organization_id}::uuid and seq = ${checkpoint.seq}`;
  if (!row) return `the trail no longer holds entry seq ${checkpoint.seq}, which the checkpoint of ${checkpoint.checkpointed_at} signed: entries were removed`;
  if (row.entry_hash !== checkpoint.entry_hash) {
    return `entry seq ${checkpoint.seq} has hash ${row.entry_hash}, but the checkpoint of ${checkpoint.checkpointed_at} signed ${checkpoint.entry_hash}: the trail was rewritten`;
  }
  return undefined;
}
