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
  /**
   * Ed25519 signature over this organisation's sealed-month statement (below). It lets one
   * organisation's root be shown to a third party (a certified export) without the rest of the
   * manifest, which names every organisation's counts.
   */
  signature?: string;
}

/** What a sealed month says about one organisation, signable and checkable on its own. */
export interface SealedOrganizationMonth {
  statement: "evident.sealed-organization-month";
  statement_version: 1;
  partition_name: string;
  partition_start_date: string;
  partition_end_date: string;
  organization_id: string;
  first_seq: number;
  last_seq: number;
  count: number;
  root: string;
  last_hash: string;
  /** The whole month's record count and root, as in the manifest (they reveal no organisation's data). */
  month_record_count: number;
  month_checksum: string;
  sealed_at: string;
  signing_key_id: string;
}

export function sealedOrganizationMonth(
  manifest: Omit<ManifestPayload, "organization_roots" | "aggregates" | "manifest_version">,
  root: OrganizationRoot,
): SealedOrganizationMonth {
  return {
    statement: "evident.sealed-organization-month",
    statement_version: 1,
    partition_name: manifest.partition_name,
    partition_start_date: manifest.partition_start_date,
    partition_end_date: manifest.partition_end_date,
    organization_id: root.organization_id,
    first_seq: root.first_seq,
    last_seq: root.last_seq,
    count: root.count,
    root: root.root,
    last_hash: root.last_hash,
    month_record_count: manifest.record_count,
    month_checksum: manifest.checksum,
    sealed_at: manifest.sealed_at,
    signing_key_id: manifest.signing_key_id,
  };
}

export function canonicalBytes(value: unknown): Uint8Array {
  const text = canonicalize(value);
  if (text === undefined) throw new Error("value has no JSON rendering");
  return new TextEncoder().encode(text);
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
  return canonicalBytes(payload);
}
