// A scratch archive folder and a fresh Ed25519 export key, for tests that seal or checkpoint.
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export function newExportKey(): string {
  return generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "der" }).toString("base64");
}

export function scratchArchive(name: string) {
  const dir = mkdtempSync(path.join(tmpdir(), `evident-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
