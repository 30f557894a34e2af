// The archive folder (docs/sealing.md): signed manifests and checkpoints and the public keys that
// verify them, written once each, ready to copy to object-lock storage.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { SignedCheckpoint } from "../../supabase/functions/_shared/checkpoint.ts";
import type { ExportSigner } from "../../supabase/functions/_shared/export-key.ts";

export function archiveDir(): string {
  return path.resolve(process.env.EVIDENT_ARCHIVE_DIR || ".evident/archive");
}

function writeOnce(file: string, content: string) {
  mkdirSync(path.dirname(file), { recursive: true });
  if (!existsSync(file)) writeFileSync(file, content, { flag: "wx" });
}

export function publishKey(dir: string, signer: ExportSigner) {
  publishPublicKey(dir, signer.keyId, signer.publicKeyPem());
}

/** keys/<key id>.pem: every signature in the archive has its public key beside it. */
export function publishPublicKey(dir: string, keyId: string, pem: string) {
  writeOnce(path.join(dir, "keys", `${keyId}.pem`), pem);
}

const checkpointFile = (dir: string, { organization_id, seq }: { organization_id: string; seq: number }) =>
  path.join(dir, "checkpoints", organization_id, `${String(seq).padStart(12, "0")}.json`);

export function publishCheckpoint(dir: string, signed: SignedCheckpoint) {
  writeOnce(checkpointFile(dir, signed.checkpoint), JSON.stringify(signed, null, 2) + "\n");
}

export function archivedCheckpointExists(dir: string, signed: SignedCheckpoint): boolean {
  return existsSync(checkpointFile(dir, signed.checkpoint));
}

/** The archived checkpoint with the highest seq for an organisation, if any. */
export function latestArchivedCheckpoint(dir: string, organizationId: string): SignedCheckpoint | undefined {
  const folder = path.join(dir, "checkpoints", organizationId);
  if (!existsSync(folder)) return undefined;
  const files = readdirSync(folder).filter((f) => /^\d{12}\.json$/.test(f)).sort();
  if (files.length === 0) return undefined;
  return JSON.parse(readFileSync(path.join(folder, files[files.length - 1]), "utf8"));
}
