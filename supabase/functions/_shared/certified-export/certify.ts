// Answering an authority's data request with a certified export (docs/certified-export.md):
// verify the trail the export draws on, read the events in scope as an audited access, prove each
// one into a signed root (its sealed month's, or a checkpoint signed now for the month still
// open), and sign the whole package with the export key. Runs inside one writer transaction, so
// the access record, the checkpoint and the response record commit with the export or not at all.
import { recordAccess } from "../audited-read.ts";
import type { Caller } from "../auth.ts";
import { latestStoredCheckpoint, monthTreeThrough, signCheckpoint, signedCheckpointProblems } from "../checkpoint.ts";
import { hexToBytes } from "../crypto.ts";
import type { WriterTransaction } from "../db.ts";
import { ApiError } from "../errors.ts";
import { type ExportSigner, exportVerificationKeys, verifyExportSignature } from "../export-key.ts";
import type { Keyring } from "../keyring.ts";
import { canonicalBytes, manifestBytes, type SealedOrganizationMonth, sealedOrganizationMonth } from "../manifest.ts";
import { MerkleTree } from "../merkle/tree.ts";
import { readManifest } from "../seal.ts";
import { entryColumns, type StoredEntry, toEntry } from "../trail.ts";
import { verifyAgainstHead } from "../verify.ts";
import { type Anchor, type CertifiedExport, exportFormat, exportFormatVersion, exportSigningBytes } from "./format.ts";

/** Larger scopes are refused with advice to narrow them: the package is built in memory. */
export const maxExportEvents = 50_000;

export interface AuthorityRequest {
  id: string;
  organization_id: string;
  authority: string;
  legal_basis: string;
  reference: string | null;
  scope_start: string;
  scope_end: string;
  event_types: string[] | null;
  target_ids: string[] | null;
  received_at: string;
  response_deadline: string;
}

export type Certification =
  | { status: "certified"; package: CertifiedExport }
  | { status: "refused"; problems: string[] };

interface MonthProof {
  anchor: number;
  firstSeq: number;
  tree: MerkleTree;
}

export async function certifyRequest(
  tx: WriterTransaction,
  request: AuthorityRequest,
  caller: Caller,
  keyring: Keyring,
  signer: ExportSigner,
): Promise<Certification> {
  const org = request.organization_id;
  const events = await eventsInScope(tx, request);
  const months = [...new Set(events.map((e) => e.created_at.slice(0, 7)))].sort();

  // 2. Verify everything the export draws on before disclosing anything.
  const problems: string[] = [];
  const from = events[0]?.created_at ?? request.scope_start;
  const { summary: chain, head } = await verifyAgainstHead(tx, org, keyring, { from });
  if (!chain.valid) {
    const f = chain.first_failure;
    problems.push(`the trail fails verification: ${Object.entries(chain.failures).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(", ")} failure(s), first at seq ${f?.seq} (${f?.failures.join(", ")})`);
  }
  if (!head.matches) problems.push(`the chain head (seq ${head.head_seq}) is not where the trail ends (seq ${chain.last_seq ?? 0}): entries were removed or the head was moved`);
  // The current export key, and those rotated out: what was sealed before a rotation still counts.
  const publicKeys = exportVerificationKeys(signer);
  const latest = await latestStoredCheckpoint(tx, org);
  if (latest) problems.push(...await signedCheckpointProblems(tx, latest, publicKeys));

  // The month still open for this organisation: its newest entry's.
  const [newest] = await tx`
    select to_char(created_at at time zone 'UTC', 'YYYY-MM') as month from public.audit_events
    where organization_id = ${org}::uuid and seq = ${head.head_seq}`;
  const headMonth = newest?.month as string | undefined;
  const sealed: Array<{ month: string; statement: SealedOrganizationMonth; signature: string; tree: MerkleTree }> = [];
  for (const month of months) {
    const partition = `audit_events_${month.replace("-", "_")}`;
    const manifest = await readManifest(tx, partition);
    if (!manifest) {
      if (month !== headMonth) problems.push(`month ${month} has ended and is not sealed: run \`evident seal --month ${month}\` before certifying`);
      continue;
    }
    const checked = await checkSealedMonth(tx, org, month, manifest, publicKeys);
    if ("problem" in checked) problems.push(checked.problem);
    else sealed.push({ month, ...checked });
  }
  if (problems.length > 0) return { status: "refused", problems };

  // 3. The read itself is an audited access, under the request's purpose.
  const access = await recordAccess(tx, caller, org, `authority_request_${request.id}`, {
    authority_request_id: request.id,
    start: request.scope_start,
    end: request.scope_end,
    event_types: request.event_types,
    target_ids: request.target_ids,
    returned: events.length,
  }, keyring);

  // 4. Anchors: each sealed month's signed statement, and a checkpoint signed now (after the
  // access record) whose tree covers the month still open.
  const anchors: Anchor[] = [];
  const proofs = new Map<string, MonthProof>();
  for (const s of sealed) {
    proofs.set(s.month, { anchor: anchors.length, firstSeq: s.statement.first_seq, tree: s.tree });
    anchors.push({ kind: "sealed_month", statement: s.statement, signature: s.signature });
  }
  const open = await monthTreeThrough(tx, org, access.seq);
  const signed = await signCheckpoint(tx, signer, org, access.seq, access.entry_hash, access.created_at, open);
  proofs.set(access.created_at.slice(0, 7), { anchor: anchors.length, firstSeq: open.firstSeq, tree: open.tree });
  anchors.push({ kind: "checkpoint", checkpoint: signed.checkpoint as Extract<Anchor, { kind: "checkpoint" }>["checkpoint"], signature: signed.signature });

  const exported = events.map((entry) => {
    const month = proofs.get(entry.created_at.slice(0, 7));
    // Only when a month ended while this export ran: its events are no longer in the open month.
    if (!month) throw new ApiError(409, "conflict", `month ${entry.created_at.slice(0, 7)} ended during the export: seal it (\`evident seal\`) and respond again`);
    const leaf = entry.seq - month.firstSeq;
    return { entry, proof: { anchor: month.anchor, leaf_index: leaf, path: month.tree.proof(leaf).map((h) => Buffer.from(h).toString("hex")) } };
  });

  const unsigned: Omit<CertifiedExport, "signature"> = {
    format: exportFormat,
    format_version: exportFormatVersion,
    request: {
      id: request.id,
      organization_id: org,
      authority: request.authority,
      legal_basis: request.legal_basis,
      reference: request.reference,
      scope: { start: request.scope_start, end: request.scope_end, event_types: request.event_types, target_ids: request.target_ids },
      received_at: request.received_at,
      response_deadline: request.response_deadline,
    },
    export_date: access.created_at,
    events: exported,
    anchors,
    certification: {
      total_events: events.length,
      date_range: { start: request.scope_start, end: request.scope_end },
      events_date_range: events.length ? { first: events[0].timestamp, last: events[events.length - 1].timestamp } : null,
      integrity_verified: true,
      verification_method: `Before export, entries seq ${chain.last_seq === null ? "-" : `${chain.last_seq - chain.checked + 1} .. ${chain.last_seq}`} of the organisation's trail ` +
        "(every exported event and everything after it, up to the chain head) were re-verified: SHA-256 over the RFC 8785 canonical form, " +
        "the HMAC-SHA256 signature, and the link to the previous entry. Each sealed month was checked against its Ed25519-signed manifest " +
        "and its recomputed RFC 6962 root; the latest checkpoint against the trail. Each event carries an RFC 6962 inclusion proof into a root " +
        "signed with the export key: its sealed month's, or the checkpoint signed at export for the month still open.",
      entries_verified: chain.checked,
      signatures_verified: events.length,
      partition_checksums: sealed.map((s) => ({
        partition_name: s.statement.partition_name,
        checksum: s.statement.month_checksum,
        record_count: s.statement.month_record_count,
      })),
      latest_checkpoint: { seq: signed.checkpoint.seq, entry_hash: signed.checkpoint.entry_hash, checkpointed_at: signed.checkpoint.checkpointed_at },
    },
    signing_key_id: signer.keyId,
  };
  return { status: "certified", package: { ...unsigned, signature: signer.sign(exportSigningBytes(unsigned)) } };
}

async function eventsInScope(tx: WriterTransaction, request: AuthorityRequest): Promise<StoredEntry[]> {
  const rows = await tx`
    select ${tx(entryColumns as unknown as string[])} from evident.audit_entries
    where organization_id = ${request.organization_id}::uuid
      and timestamp_instant >= ${request.scope_start}::text::timestamptz
      and timestamp_instant < ${request.scope_end}::text::timestamptz
      ${request.event_types ? tx`and event_type = any(${request.event_types}::text[])` : tx``}
      ${request.target_ids ? tx`and target_id = any(${request.target_ids}::text[])` : tx``}
    order by seq
    limit ${maxExportEvents + 1}`;
  if (rows.length > maxExportEvents) {
    throw new ApiError(422, "scope_too_large", `the request's scope holds more than ${maxExportEvents} events: answer it in several requests with narrower periods or filters`);
  }
  return rows.map(toEntry);
}

/** The sealed month's manifest and this organisation's part of it, checked against the rows. */
async function checkSealedMonth(
  tx: WriterTransaction,
  org: string,
  month: string,
  { manifest, signature }: NonNullable<Awaited<ReturnType<typeof readManifest>>>,
  publicKeys: Map<string, string>,
): Promise<{ statement: SealedOrganizationMonth; signature: string; tree: MerkleTree } | { problem: string }> {
  const publicKey = publicKeys.get(manifest.signing_key_id);
  if (!publicKey) {
    return { problem: `month ${month} was sealed with export key ${manifest.signing_key_id}, which is neither the current export key nor in AUDIT_EXPORT_RETIRED_PUBLIC_KEYS` };
  }
  if (!verifyExportSignature(manifestBytes(manifest), signature, publicKey)) return { problem: `month ${month}'s manifest signature does not verify` };
  const root = manifest.organization_roots.find((r) => r.organization_id === org);
  if (!root) return { problem: `month ${month}'s manifest does not list this organisation, yet the trail holds its entries there` };
  const statement = sealedOrganizationMonth(manifest, root);
  if (!root.signature || !verifyExportSignature(canonicalBytes(statement), root.signature, publicKey)) {
    return { problem: `month ${month}'s sealed statement for this organisation is missing or does not verify` };
  }
  const rows = await tx`
    select seq, entry_hash from public.audit_events
    where organization_id = ${org}::uuid
      and created_at >= ${`${month}-01`}::date::timestamp at time zone 'UTC'
      and created_at < (${`${month}-01`}::date + interval '1 month')::timestamp at time zone 'UTC'
    order by seq`;
  const tree = new MerkleTree(rows.map((r) => hexToBytes(r.entry_hash)));
  const recomputed = Buffer.from(tree.root()).toString("hex");
  if (rows.length !== root.count || Number(rows[0]?.seq) !== root.first_seq || recomputed !== root.root) {
    return { problem: `month ${month}: this organisation's ${rows.length} entries (root ${recomputed}) are not the ${root.count} it sealed (root ${root.root})` };
  }
  return { statement, signature: root.signature, tree };
}
