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

/**
 * The public keys that verify what Evident signed: the current export key's, and those of export
 * keys rotated out (AUDIT_EXPORT_RETIRED_PUBLIC_KEYS: comma-separated base64 SPKI DER, as
 * `evident keys public-der` prints them), by key id. Environment only: a public key read from
 * the database could be one a superuser put there to bless manifests of his own.
 */
export function exportVerificationKeys(signer: ExportSigner, retired = readEnv("AUDIT_EXPORT_RETIRED_PUBLIC_KEYS")): Map<string, string> {
  const keys = new Map([[signer.keyId, signer.publicKeyPem()]]);
  for (const [index, entry] of (retired ?? "").split(",").map((e) => e.trim()).filter(Boolean).entries()) {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: Buffer.from(entry, "base64"), format: "der", type: "spki" });
    } catch {
      throw new ConfigurationError(`AUDIT_EXPORT_RETIRED_PUBLIC_KEYS entry ${index + 1} is not a base64 SPKI public key`);
    }
    if (key.asymmetricKeyType !== "ed25519") {
      throw new ConfigurationError(`AUDIT_EXPORT_RETIRED_PUBLIC_KEYS entry ${index + 1} is a ${key.asymmetricKeyType} key, not Ed25519`);
    }
    keys.set(publicKeyId(key), key.export({ type: "spki", format: "pem" }).toString());
  }
  return keys;
}

/** A public key (PEM) as one line of base64 SPKI DER, the form AUDIT_EXPORT_RETIRED_PUBLIC_KEYS takes. */
export function publicKeyDerBase64(pem: string): string {
  return createPublicKey(pem).export({ type: "spki", format: "der" }).toString("base64");
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
