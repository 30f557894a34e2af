// A sealed month's events in the archive folder, beside its manifest (docs/sealing.md, "The
// archive folder"):
//   events/YYYY-MM.ndjson.gz          one stored entry per line, as evident.audit_entries returns
//                                     it (the signed fields, timestamps in canonical form), in
//                                     (organization_id, seq) order, gzip-compressed
//   events/YYYY-MM.ndjson.gz.sha256   SHA-256 of the .gz file, `sha256sum -c` format
// Writing and reading both stream: memory stays flat whatever the month holds. What proves the
// copy is the signed manifest: every entry is re-verified and the roots recomputed against it; the
// .sha256 file only tells bit rot from tampering quickly.
import { createHash, createPublicKey } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { verifyExportSignature, publicKeyId } from "../../supabase/functions/_shared/export-key.ts";
import type { Keyring } from "../../supabase/functions/_shared/keyring.ts";
import { manifestBytes, type ManifestPayload } from "../../supabase/functions/_shared/manifest.ts";
import { leafHash } from "../../supabase/functions/_shared/merkle/hash.ts";
import { MerkleRoot } from "../../supabase/functions/_shared/merkle/root.ts";
import { hexToBytes } from "../../supabase/functions/_shared/crypto.ts";
import { manifestProblems, type MonthAnchor, type MonthBounds, monthPassOver } from "../../supabase/functions/_shared/seal.ts";
import { withEntryChecker } from "./verify/entry-checker.ts";
import { entryColumns, type Queryable } from "../../supabase/functions/_shared/trail.ts";

export interface SignedManifest {
  manifest: ManifestPayload;
  signature: string;
}

export function manifestFile(dir: string, month: string): string {
  return path.join(dir, "manifests", `${month}.json`);
}

export function eventsFile(dir: string, month: string): string {
  return path.join(dir, "events", `${month}.ndjson.gz`);
}

export function readArchivedManifest(dir: string, month: string): SignedManifest | undefined {
  const file = manifestFile(dir, month);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8"));
}

/** One stored entry as an archive line: the columns of evident.audit_entries that are signed. */
export function archiveLine(row: Record<string, unknown>): string {
  const entry: Record<string, unknown> = {};
  for (const column of entryColumns) entry[column] = column === "seq" || column === "canonical_version" ? Number(row[column]) : row[column];
  return JSON.stringify(entry);
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export type WriteOutcome =
  | { status: "written"; file: string; count: number; sha256: string }
  | { status: "exists"; file: string };

/**
 * Writes a sealed month's entries to the archive, once: a temporary file renamed into place, so a
 * crash never leaves a partial copy under the final name. While writing, the leaves are fed into
 * an RFC 6962 root, which must equal the manifest's checksum: a copy that does not match what was
 * sealed is never published.
 */
export async function writeMonthEvents(sql: Queryable, dir: string, bounds: MonthBounds, manifest: ManifestPayload): Promise<WriteOutcome> {
  const file = eventsFile(dir, bounds.month);
  if (existsSync(file)) return { status: "exists", file };
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.partial-${process.pid}`;
  const root = new MerkleRoot();
  const cursor = sql`select ${sql(entryColumns as unknown as string[])} from evident.audit_entries
    where created_at_instant >= ${bounds.start}::text::timestamptz and created_at_instant < ${bounds.end}::text::timestamptz
    order by organization_id, seq`.cursor(5000);
  async function* lines() {
    for await (const rows of cursor) {
      let chunk = "";
      for (const row of rows) {
        root.pushLeafHash(leafHash(hexToBytes(row.entry_hash as string)));
        chunk += archiveLine(row) + "\n";
      }
      yield chunk;
    }
  }
  try {
    await pipeline(Readable.from(lines()), createGzip(), createWriteStream(partial, { flags: "wx" }));
    const checksum = Buffer.from(root.root()).toString("hex");
    if (root.size !== manifest.record_count || checksum !== manifest.checksum) {
      throw new Error(`the month's entries now read ${root.size} with root ${checksum}, but the manifest sealed ${manifest.record_count} with root ${manifest.checksum}: not archived (run evident verify --month ${bounds.month})`);
    }
    const sha256 = await sha256File(partial);
    renameSync(partial, file);
    writeFileSync(`${file}.sha256`, `${sha256}  ${path.basename(file)}\n`, { flag: "wx" });
    return { status: "written", file, count: root.size, sha256 };
  } finally {
    rmSync(partial, { force: true });
  }
}

/** Thrown for an archive line that is not a stored entry (truncated, garbled, not JSON). */
export class CorruptArchive extends Error {}

/**
 * The archived entries, in batches, streamed from the gzip file. Lines that are not JSON objects,
 * and a stream that does not decompress, raise CorruptArchive naming the line.
 */
export async function* archivedBatches(file: string, batchSize = 5000): AsyncGenerator<Array<Record<string, unknown>>> {
  const gunzip = createGunzip();
  const input = createReadStream(file).pipe(gunzip);
  let failure: Error | undefined;
  const failed = new Transform({ transform: (chunk, _encoding, done) => done(null, chunk) });
  input.on("error", (error) => {
    failure = error;
    failed.end();
  });
  input.pipe(failed);
  const lines = createInterface({ input: failed, crlfDelay: Infinity });
  let batch: Array<Record<string, unknown>> = [];
  let number = 0;
  for await (const line of lines) {
    number += 1;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new CorruptArchive(`line ${number} of ${path.basename(file)} is not JSON`);
    }
    if (!isStoredEntryShape(row)) throw new CorruptArchive(`line ${number} of ${path.basename(file)} is not a stored entry`);
    batch.push(row as Record<string, unknown>);
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (failure) throw new CorruptArchive(`${path.basename(file)} does not decompress after line ${number} (${failure.message})`);
  if (batch.length > 0) yield batch;
}

/** Enough of a stored entry's shape for the checks to run on it (they judge the values). */
function isStoredEntryShape(row: unknown): row is Record<string, unknown> {
  if (typeof row !== "object" || row === null || Array.isArray(row)) return false;
  const r = row as Record<string, unknown>;
  const hex64 = (v: unknown) => typeof v === "string" && /^[0-9a-f]{64}$/.test(v);
  return hex64(r.entry_hash) && hex64(r.signature) && (r.previous_hash === null || hex64(r.previous_hash)) &&
    typeof r.organization_id === "string" && typeof r.key_id === "string" && typeof r.metadata === "object" && r.metadata !== null;
}

/** The month before YYYY-MM. */
export function previousMonth(month: string): string {
  const [year, m] = month.split("-").map(Number);
  const d = new Date(Date.UTC(year, m - 2, 1));
  return d.toISOString().slice(0, 7);
}

/**
 * Where each organisation's chain enters an archived month: the previous month's archived
 * manifest (if its signature verifies) records every organisation's last seq and hash; an
 * organisation it does not cover is anchored on its first entry's own previous_hash, which that
 * entry's hash and signature commit to.
 */
export function archiveAnchors(dir: string, month: string, publicKeys: Map<string, string>): MonthAnchor {
  const previous = readArchivedManifest(dir, previousMonth(month));
  const known = new Map<string, { seq: number; hash: string }>();
  const key = previous ? publicKeys.get(previous.manifest.signing_key_id) ?? archivedKey(dir, previous.manifest.signing_key_id) : undefined;
  if (previous && key && verifyExportSignature(manifestBytes(previous.manifest), previous.signature, key)) {
    for (const r of previous.manifest.organization_roots) known.set(r.organization_id, { seq: r.last_seq, hash: r.last_hash });
  }
  return (organizationId, first) => {
    const seq = Number(first.seq);
    if (seq <= 1) return { seq: 0, hash: null };
    const boundary = known.get(organizationId);
    if (boundary && boundary.seq === seq - 1) return boundary;
    return { seq: seq - 1, hash: (first.previous_hash as string | null) ?? null };
  };
}

function archivedKey(dir: string, keyId: string): string | undefined {
  const file = path.join(dir, "keys", `${keyId}.pem`);
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

/**
 * The public key that checks a month's manifest: the one given (an operator's trusted copy), else
 * the archive's keys/<signing_key_id>.pem. Either way its id must be the manifest's signing_key_id.
 */
export function manifestKey(dir: string, manifest: ManifestPayload, given?: string): { pem?: string; problem?: string } {
  const pem = given ?? archivedKey(dir, manifest.signing_key_id);
  if (!pem) return { problem: `the archive holds no public key ${manifest.signing_key_id} (keys/${manifest.signing_key_id}.pem)` };
  let id: string;
  try {
    id = publicKeyId(createPublicKey(pem));
  } catch {
    return { problem: "the public key is not a PEM (SPKI) key" };
  }
  if (id !== manifest.signing_key_id) return { problem: `the manifest was signed by ${manifest.signing_key_id}, the public key is ${id}` };
  return { pem };
}

/** The events file's SHA-256, and whether it matches the .sha256 written beside it. */
export async function checksumProblems(dir: string, month: string): Promise<{ sha256: string; problems: string[] }> {
  const file = eventsFile(dir, month);
  const problems: string[] = [];
  const sha256 = await sha256File(file);
  const sumFile = `${file}.sha256`;
  if (!existsSync(sumFile)) problems.push(`events/${month}.ndjson.gz.sha256 is missing`);
  else if (readFileSync(sumFile, "utf8").split(/\s+/)[0] !== sha256) problems.push(`events/${month}.ndjson.gz does not match its .sha256 (the file changed after it was archived)`);
  return { sha256, problems };
}

export type ArchiveCheck =
  | { status: "checked"; month: string; valid: boolean; problems: string[]; manifest?: ManifestPayload; signature?: string; sha256?: string; record_count?: number };

/**
 * The weekly drill's check, with no database: the archived manifest verifies with the public key,
 * the events file matches its .sha256, and a full pass over its entries (contents, HMAC signatures,
 * links, sequence; the same monthPassOver that seals and re-verifies the live month) recomputes
 * the manifest's roots exactly.
 */
export async function checkArchivedMonth(
  dir: string,
  bounds: MonthBounds,
  keyring: Keyring,
  publicKeyPem?: string,
  onProgress?: (checked: number, total: number) => void,
): Promise<ArchiveCheck> {
  const month = bounds.month;
  const fail = (problems: string[], rest: Partial<ArchiveCheck> = {}): ArchiveCheck => ({ status: "checked", month, valid: false, problems, ...rest });
  let signed: SignedManifest | undefined;
  try {
    signed = readArchivedManifest(dir, month);
  } catch (error) {
    return fail([`manifests/${month}.json is not JSON (${error instanceof Error ? error.message : String(error)})`]);
  }
  if (!signed) return fail([`the archive holds no manifest for ${month} (manifests/${month}.json)`]);
  const { manifest, signature } = signed;
  if (manifest?.partition_name !== bounds.partitionName) return fail([`manifests/${month}.json names ${manifest?.partition_name}, not ${bounds.partitionName}`]);
  const key = manifestKey(dir, manifest, publicKeyPem);
  if (!key.pem) return fail([key.problem!], { manifest, signature });
  const file = eventsFile(dir, month);
  if (!existsSync(file)) return fail([`the archive holds no events for ${month} (events/${month}.ndjson.gz)`], { manifest, signature });

  const { sha256, problems } = await checksumProblems(dir, month);

  try {
    const total = Number(manifest.record_count) || 0;
    const batches = onProgress ? counted(archivedBatches(file), (n) => onProgress(n, total)) : archivedBatches(file);
    const anchors = archiveAnchors(dir, month, new Map([[manifest.signing_key_id, key.pem]]));
    const pass = await withEntryChecker({ signingKeys: process.env.AUDIT_SIGNING_KEYS }, (checker) =>
      monthPassOver(batches, anchors, keyring, "full", { checker }));
    problems.push(...manifestProblems(manifest, signature, key.pem, pass));
    return { status: "checked", month, valid: problems.length === 0, problems, manifest, signature, sha256, record_count: pass.recordCount };
  } catch (error) {
    if (error instanceof CorruptArchive) return fail([...problems, error.message], { manifest, signature, sha256 });
    throw error;
  }
}

/** The same batches, reporting how many entries have passed so far (for a progress bar). */
async function* counted<T>(batches: AsyncIterable<T[]>, onCount: (n: number) => void): AsyncGenerator<T[]> {
  let n = 0;
  for await (const batch of batches) {
    yield batch;
    n += batch.length;
    onCount(n);
  }
}
