// The Ed25519 key that signs sealed months' manifests (and, later, checkpoints and exports), so
// that anyone with the public key can verify them without any secret.
//   AUDIT_EXPORT_SIGNING_KEY   the private key: PKCS#8, as PEM or as one line of base64 DER
// The key id is derived from the public key, so it cannot be mislabelled.
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { ConfigurationError, readEnv } from "./env.ts";

export class ExportSigner {
  private constructor(private readonly privateKey: KeyObject, readonly publicKey: KeyObject, readonly keyId: string) {}

  static parse(text: string | undefined): ExportSigner {
    if (!text?.trim()) throw new ConfigurationError("AUDIT_EXPORT_SIGNING_KEY is not set: there is no default signing key");
    let privateKey: KeyObject;
    try {
      privateKey = text.includes("-----BEGIN")
        ? createPrivateKey(text)
        : createPrivateKey({ key: Buffer.from(text.trim(), "base64"), format: "der", type: "pkcs8" });
    } catch {
      throw new ConfigurationError("AUDIT_EXPORT_SIGNING_KEY is not a PKCS#8 private key (PEM, or base64 DER)");
    }
    if (privateKey.asymmetricKeyType !== "ed25519") {
      throw new ConfigurationError(`AUDIT_EXPORT_SIGNING_KEY is a ${privateKey.asymmetricKeyType} key; an Ed25519 key is required`);
    }
    const publicKey = createPublicKey(privateKey);
    return new ExportSigner(privateKey, publicKey, publicKeyId(publicKey));
  }

  static fromEnv(): ExportSigner {
    return ExportSigner.parse(readEnv("AUDIT_EXPORT_SIGNING_KEY"));
  }

  /** Base64 Ed25519 signature over the bytes. */
  sign(bytes: Uint8Array): string {
    return sign(null, bytes, this.privateKey).toString("base64");
  }

  publicKeyPem(): string {
    return this.publicKey.export({ type: "spki", format: "pem" }).toString();
  }

  toJSON() {
    return { keyId: this.keyId };
  }
}

/** ed25519-<first 16 hex digits of SHA-256 over the public key's SPKI DER>. */
export function publicKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: "spki", format: "der" });
  return `ed25519-${createHash("sha256").update(der).digest("hex").slice(0, 16)}`;
}

/** Public keys (PEM, SPKI) by their Evident key id. */
export function publicKeysById(pems: string[]): Map<string, string> {
  return new Map(pems.map((pem) => [publicKeyId(createPublicKey(pem)), pem]));
}

/** Checks a base64 Ed25519 signature with a public key (PEM); false for anything malformed. */
export function verifyExportSignature(bytes: Uint8Array, signature: string, publicKeyPem: string): boolean {
  try {
    return verify(null, bytes, createPublicKey(publicKeyPem), Buffer.from(signature, "base64"));
  } catch {
    return false;
  }
}
