// The certified export package (docs/certified-export.md): what an authority receives, and the
// exact bytes its Ed25519 signature covers. Everything in it is checkable offline with the
// public key alone; the schema below is what a verifier accepts as well-formed.
import { z } from "zod";
import { canonicalBytes } from "../manifest.ts";

export const exportFormat = "evident.certified-export";
export const exportFormatVersion = 1;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex digits");
const signature = z.string().regex(/^[A-Za-z0-9+/]{86}==$/, "a base64 Ed25519 signature");
const seq = z.number().int().min(1);
const text = z.string().min(1);

export const exportedEntry = z.strictObject({
  id: z.string(),
  organization_id: z.string(),
  seq,
  previous_hash: hex64.nullable(),
  entry_hash: hex64,
  signature: z.string(),
  key_id: z.string(),
  canonical_version: z.number().int(),
  event_type: z.string(),
  actor_id: z.string(),
  actor_type: z.string(),
  target_id: z.string(),
  target_type: z.string(),
  action: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  timestamp: z.string(),
  created_at: z.string(),
  retention_until: z.string(),
  pii_tagged: z.boolean(),
  // Canonical form v2 only: the signed commitments to personal data, which the export never carries.
  personal_commitments: z.record(z.string(), z.string()).nullish(),
});

export const sealedMonthAnchor = z.strictObject({
  kind: z.literal("sealed_month"),
  statement: z.strictObject({
    statement: z.literal("evident.sealed-organization-month"),
    statement_version: z.literal(1),
    partition_name: text,
    partition_start_date: text,
    partition_end_date: text,
    organization_id: text,
    first_seq: seq,
    last_seq: seq,
    count: z.number().int().min(1),
    root: hex64,
    last_hash: hex64,
    month_record_count: z.number().int().min(1),
    month_checksum: hex64,
    sealed_at: text,
    signing_key_id: text,
  }),
  signature,
});

export const checkpointAnchor = z.strictObject({
  kind: z.literal("checkpoint"),
  checkpoint: z.strictObject({
    checkpoint_version: z.literal(2),
    organization_id: text,
    seq,
    entry_hash: hex64,
    checkpointed_at: text,
    signing_key_id: text,
    tree: z.strictObject({ partition_name: text, first_seq: seq, size: z.number().int().min(1), root: hex64 }),
  }),
  signature,
});

export const anchor = z.discriminatedUnion("kind", [sealedMonthAnchor, checkpointAnchor]);
export type Anchor = z.infer<typeof anchor>;

export const exportedEvent = z.strictObject({
  entry: exportedEntry,
  proof: z.strictObject({
    /** Index into `anchors`. */
    anchor: z.number().int().min(0),
    /** The entry's leaf: seq minus the anchor tree's first_seq. */
    leaf_index: z.number().int().min(0),
    /** RFC 6962 audit path, leaf to root, lowercase hex. */
    path: z.array(hex64),
  }),
});
export type ExportedEvent = z.infer<typeof exportedEvent>;

export const certifiedExport = z.strictObject({
  format: z.literal(exportFormat),
  format_version: z.literal(exportFormatVersion),
  request: z.strictObject({
    id: text,
    organization_id: text,
    authority: text,
    legal_basis: text,
    reference: z.string().nullable(),
    scope: z.strictObject({
      start: text,
      end: text,
      event_types: z.array(text).nullable(),
      target_ids: z.array(text).nullable(),
    }),
    received_at: text,
    response_deadline: text,
  }),
  export_date: text,
  events: z.array(exportedEvent),
  anchors: z.array(anchor),
  certification: z.strictObject({
    total_events: z.number().int().min(0),
    /** The requested period (scope) and the first and last exported event timestamps. */
    date_range: z.strictObject({ start: text, end: text }),
    events_date_range: z.strictObject({ first: text, last: text }).nullable(),
    integrity_verified: z.literal(true),
    verification_method: text,
    /** Entries whose hash, HMAC signature and chain link the server re-verified before certifying. */
    entries_verified: z.number().int().min(0),
    /** Every exported event's HMAC signature was verified: equals total_events. */
    signatures_verified: z.number().int().min(0),
    partition_checksums: z.array(z.strictObject({ partition_name: text, checksum: hex64, record_count: z.number().int().min(1) })),
    latest_checkpoint: z.strictObject({ seq, entry_hash: hex64, checkpointed_at: text }).nullable(),
  }),
  signing_key_id: text,
  signature,
});
export type CertifiedExport = z.infer<typeof certifiedExport>;

/** The bytes the package signature covers: the RFC 8785 form of everything but the signature. */
export function exportSigningBytes(pkg: Omit<CertifiedExport, "signature">): Uint8Array {
  const { signature: _signature, ...signed } = pkg as CertifiedExport;
  return canonicalBytes(signed);
}
