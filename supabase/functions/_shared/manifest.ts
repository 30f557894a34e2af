// A sealed month's manifest: what it held and the RFC 6962 root that proves it, signed with the
// export key (Ed25519) over its RFC 8785 canonical form. Specified in docs/sealing.md.
import canonicalize from "canonicalize";

export const manifestVersion = 1;

export interface OrganizationRoot {
  organization_id: string;
  first_seq: number;
  last_seq: number;
  count: number;
  /** RFC 6962 root over this organisation's entry hashes in the month, in seq order. */
  root: string;
  /** entry_hash of the organisation's last entry in the month: where the next month's chain starts. */
  last_hash: string;
}

export interface ManifestPayload {
  manifest_version: number;
  partition_name: string;
  partition_start_date: string;
  partition_end_date: string;
  record_count: number;
  /** RFC 6962 root over all the month's entry hashes in (organization_id, seq) order. */
  checksum: string;
  organization_roots: OrganizationRoot[];
  aggregates: Record<string, unknown>;
  sealed_at: string;
  signing_key_id: string;
}

export function manifestBytes(payload: ManifestPayload): Uint8Array {
  const text = canonicalize(payload);
  if (text === undefined) throw new Error("manifest has no JSON rendering");
  return new TextEncoder().encode(text);
}
