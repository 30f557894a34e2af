// Offline verification of a certified export: nothing but the package and the export public
// key(s). This is the reference verifier an authority can run (`evident verify-export`) or
// re-implement from docs/certified-export.md. It reports every problem it finds, not only the first.
import { CanonicalFormError, entryHash, knownCanonicalVersions } from "../canonical.ts";
import { hexToBytes } from "../crypto.ts";
import { publicKeysById, verifyExportSignature } from "../export-key.ts";
import { canonicalBytes } from "../manifest.ts";
import { checkpointBytes } from "../checkpoint.ts";
import { rootFromInclusionProof } from "../merkle/verify.ts";
import { describeIssues } from "../schemas/values.ts";
import { canonicalTimestampPattern, epochMicros } from "../time.ts";
import { type Anchor, type CertifiedExport, certifiedExport, exportSigningBytes } from "./format.ts";

export interface ExportVerification {
  valid: boolean;
  problems: string[];
  request_id?: string;
  organization_id?: string;
  events?: number;
  signed_by?: string;
}

export function verifyCertifiedExport(input: unknown, publicKeyPems: string[]): ExportVerification {
  const parsed = certifiedExport.safeParse(input);
  if (!parsed.success) {
    return {
      valid: false,
      problems: describeIssues(parsed.error).map((issue) => `malformed package: ${issue.path || "(root)"}: ${issue.message}`),
    };
  }
  const pkg = parsed.data;
  const keys = publicKeysById(publicKeyPems);
  const problems: string[] = [];
  const checkSignature = (what: string, bytes: Uint8Array, signature: string, keyId: string) => {
    const pem = keys.get(keyId);
    if (!pem) problems.push(`${what} is signed by key ${keyId}, and no public key given has that id`);
    else if (!verifyExportSignature(bytes, signature, pem)) problems.push(`${what}: the signature does not verify with key ${keyId}`);
  };

  checkSignature("the package", exportSigningBytes(pkg), pkg.signature, pkg.signing_key_id);
  const organization = pkg.request.organization_id;
  pkg.anchors.forEach((anchor, index) => checkAnchor(anchor, index, organization, checkSignature, problems));

  const scope = pkg.request.scope;
  const scopeStart = micros(scope.start);
  const scopeEnd = micros(scope.end);
  if (scopeStart === undefined || scopeEnd === undefined) problems.push("the request's scope does not have canonical timestamps");
  let previousSeq = 0;
  for (const [position, { entry, proof }] of pkg.events.entries()) {
    const label = `event ${position} (seq ${entry.seq})`;
    if (entry.seq <= previousSeq) problems.push(`${label} is out of order: events must be in increasing seq, and it follows seq ${previousSeq}`);
    previousSeq = Math.max(previousSeq, entry.seq);
    if (entry.organization_id !== organization) problems.push(`${label} belongs to organization ${entry.organization_id}, not the request's ${organization}`);
    const at = micros(entry.timestamp);
    if (at === undefined || scopeStart === undefined || scopeEnd === undefined || at < scopeStart || at >= scopeEnd) {
      problems.push(`${label} has timestamp ${entry.timestamp}, outside the requested period ${scope.start} .. ${scope.end}`);
    }
    if (scope.event_types && !scope.event_types.includes(entry.event_type)) problems.push(`${label} is a ${entry.event_type} event, which the request did not ask for`);
    if (scope.target_ids && !scope.target_ids.includes(entry.target_id)) problems.push(`${label} concerns target ${entry.target_id}, which the request did not ask for`);

    let recomputed: string | undefined;
    if (!(knownCanonicalVersions as readonly number[]).includes(entry.canonical_version)) {
      problems.push(`${label} has canonical_version ${entry.canonical_version}, which this verifier does not know`);
    } else {
      // Version 2 hashes the signed commitments, not the personal values: it verifies without them.
      try {
        recomputed = entryHash(entry, entry.canonical_version);
      } catch (error) {
        problems.push(`${label} does not decode: ${error instanceof CanonicalFormError ? error.message : String(error)}`);
      }
    }
    if (recomputed !== undefined && recomputed !== entry.entry_hash) {
      problems.push(`${label}: its entry_hash does not match its contents (recomputed ${recomputed})`);
    }
    checkProof(pkg, label, entry.seq, entry.entry_hash, proof, problems);
  }

  checkCertification(pkg, problems);
  return {
    valid: problems.length === 0,
    problems,
    request_id: pkg.request.id,
    organization_id: organization,
    events: pkg.events.length,
    signed_by: pkg.signing_key_id,
  };
}

function checkAnchor(
  anchor: Anchor,
  index: number,
  organization: string,
  checkSignature: (what: string, bytes: Uint8Array, signature: string, keyId: string) => void,
  problems: string[],
) {
  if (anchor.kind === "sealed_month") {
    const s = anchor.statement;
    const what = `anchor ${index} (sealed month ${s.partition_name})`;
    checkSignature(what, canonicalBytes(s), anchor.signature, s.signing_key_id);
    if (s.organization_id !== organization) problems.push(`${what} is about organization ${s.organization_id}, not ${organization}`);
    if (s.last_seq - s.first_seq + 1 !== s.count) problems.push(`${what}: seq ${s.first_seq} .. ${s.last_seq} is not ${s.count} entries`);
  } else {
    const c = anchor.checkpoint;
    const what = `anchor ${index} (checkpoint at seq ${c.seq})`;
    checkSignature(what, checkpointBytes(c), anchor.signature, c.signing_key_id);
    if (c.organization_id !== organization) problems.push(`${what} is about organization ${c.organization_id}, not ${organization}`);
    if (c.tree.first_seq + c.tree.size - 1 !== c.seq) problems.push(`${what}: its tree does not end at the checkpointed entry`);
  }
}

function anchorTree(anchor: Anchor): { firstSeq: number; size: number; root: string; name: string } {
  return anchor.kind === "sealed_month"
    ? { firstSeq: anchor.statement.first_seq, size: anchor.statement.count, root: anchor.statement.root, name: `sealed month ${anchor.statement.partition_name}` }
    : { firstSeq: anchor.checkpoint.tree.first_seq, size: anchor.checkpoint.tree.size, root: anchor.checkpoint.tree.root, name: `checkpoint at seq ${anchor.checkpoint.seq}` };
}

function checkProof(
  pkg: CertifiedExport,
  label: string,
  seq: number,
  entryHash: string,
  proof: CertifiedExport["events"][number]["proof"],
  problems: string[],
) {
  const anchor = pkg.anchors[proof.anchor];
  if (!anchor) {
    problems.push(`${label}: its proof names anchor ${proof.anchor}, and the package has ${pkg.anchors.length}`);
    return;
  }
  const tree = anchorTree(anchor);
  if (proof.leaf_index !== seq - tree.firstSeq) {
    problems.push(`${label}: its proof claims leaf ${proof.leaf_index}, but seq ${seq} is leaf ${seq - tree.firstSeq} of the ${tree.name}`);
    return;
  }
  try {
    const root = Buffer.from(rootFromInclusionProof(hexToBytes(entryHash), proof.leaf_index, tree.size, proof.path.map(hexToBytes))).toString("hex");
    if (root !== tree.root) problems.push(`${label}: its inclusion proof leads to ${root}, not to the ${tree.name}'s root ${tree.root}`);
  } catch (error) {
    problems.push(`${label}: its inclusion proof does not fit the ${tree.name} (${(error as Error).message})`);
  }
}

function checkCertification(pkg: CertifiedExport, problems: string[]) {
  const c = pkg.certification;
  const n = pkg.events.length;
  if (c.total_events !== n) problems.push(`the certification counts ${c.total_events} events, the package holds ${n}`);
  if (c.signatures_verified !== n) problems.push(`the certification says ${c.signatures_verified} signatures were verified, for ${n} events`);
  if (c.date_range.start !== pkg.request.scope.start || c.date_range.end !== pkg.request.scope.end) {
    problems.push("the certification's date range is not the requested period");
  }
  const first = pkg.events[0]?.entry.timestamp;
  const last = pkg.events[n - 1]?.entry.timestamp;
  const expected = n === 0 ? null : { first, last };
  if (JSON.stringify(c.events_date_range) !== JSON.stringify(expected)) {
    problems.push(`the certification's events_date_range does not match the events (${first ?? "none"} .. ${last ?? "none"})`);
  }
  const sealed = new Map(pkg.anchors.flatMap((a) => a.kind === "sealed_month" ? [[a.statement.partition_name, a.statement] as const] : []));
  for (const p of c.partition_checksums) {
    const statement = sealed.get(p.partition_name);
    if (!statement) problems.push(`the certification lists partition ${p.partition_name}, which no anchor seals`);
    else if (statement.month_checksum !== p.checksum || statement.month_record_count !== p.record_count) {
      problems.push(`the certification's checksum for ${p.partition_name} is not the one its sealed-month statement signs`);
    }
  }
  if (c.partition_checksums.length !== sealed.size) problems.push("the certification does not list every sealed month the anchors name");
}

function micros(timestamp: string): bigint | undefined {
  return canonicalTimestampPattern.test(timestamp) ? epochMicros(timestamp) : undefined;
}
