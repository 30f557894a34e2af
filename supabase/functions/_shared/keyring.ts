// The HMAC signing keys. They come only from the environment, never enter the database, logs or
// responses, and every check against them is constant-time.
//   AUDIT_SIGNING_KEYS   key_id:secret[,key_id:secret…]   (secret: at least 32 bytes of UTF-8)
//   AUDIT_ACTIVE_KEY_ID  the key_id new entries are signed with
// Rotation adds a key beside the old ones and moves AUDIT_ACTIVE_KEY_ID; old entries keep
// verifying with the key their row names.
import { timingSafeEqual } from "node:crypto";
import { hexToBytes, HmacSha256 } from "./crypto.ts";
import { ConfigurationError, readEnv } from "./env.ts";

export const minimumSecretBytes = 32;
export const keyIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** An entry hash and its HMAC-SHA256 signature are both 32 bytes in lowercase hex. */
const hexPattern = /^[0-9a-f]{64}$/;

export class Keyring {
  readonly #secrets: Map<string, HmacSha256>;
  readonly activeKeyId: string;

  private constructor(secrets: Map<string, HmacSha256>, activeKeyId: string) {
    this.#secrets = secrets;
    this.activeKeyId = activeKeyId;
  }

  /** Parses the two variables; throws a ConfigurationError naming what is wrong, never a secret. */
  static parse(signingKeys: string | undefined, activeKeyId: string | undefined): Keyring {
    if (!signingKeys?.trim()) throw new ConfigurationError("AUDIT_SIGNING_KEYS is not set: there is no default signing key");
    if (!activeKeyId?.trim()) throw new ConfigurationError("AUDIT_ACTIVE_KEY_ID is not set");
    const secrets = new Map<string, HmacSha256>();
    for (const [index, entry] of signingKeys.split(",").entries()) {
      const colon = entry.indexOf(":");
      if (colon < 0) throw new ConfigurationError(`AUDIT_SIGNING_KEYS entry ${index + 1} is not of the form key_id:secret`);
      const id = entry.slice(0, colon).trim();
      const secret = new TextEncoder().encode(entry.slice(colon + 1).trim());
      if (!keyIdPattern.test(id)) throw new ConfigurationError(`AUDIT_SIGNING_KEYS entry ${index + 1} has an invalid key id (letters, digits, . _ -; at most 64)`);
      if (secrets.has(id)) throw new ConfigurationError(`AUDIT_SIGNING_KEYS names key ${id} twice`);
      if (secret.length < minimumSecretBytes) {
        throw new ConfigurationError(`AUDIT_SIGNING_KEYS key ${id} is ${secret.length} bytes; at least ${minimumSecretBytes} are required`);
      }
      secrets.set(id, new HmacSha256(secret));
    }
    const active = activeKeyId.trim();
    if (!secrets.has(active)) throw new ConfigurationError(`AUDIT_ACTIVE_KEY_ID names key ${active}, which AUDIT_SIGNING_KEYS does not contain`);
    return new Keyring(secrets, active);
  }

  /** For verifiers, which check every key a row names and sign nothing: no active key needed. */
  static forVerification(signingKeys: string | undefined): Keyring {
    const firstId = signingKeys?.split(",")[0]?.split(":")[0]?.trim();
    return Keyring.parse(signingKeys, firstId);
  }

  static fromEnv(): Keyring {
    return Keyring.parse(readEnv("AUDIT_SIGNING_KEYS"), readEnv("AUDIT_ACTIVE_KEY_ID"));
  }

  get keyIds(): string[] {
    return [...this.#secrets.keys()];
  }

  has(keyId: string): boolean {
    return this.#secrets.has(keyId);
  }

  /** signature = HMAC-SHA256(key[keyId], the 32 bytes of entry_hash), lowercase hex. */
  sign(entryHash: string, keyId = this.activeKeyId): string {
    return this.signDigest(hexToBytes(entryHash), keyId);
  }

  /** sign() for a hash already in its 32 bytes. */
  signDigest(entryHash: Uint8Array, keyId = this.activeKeyId): string {
    const secret = this.#secrets.get(keyId);
    if (!secret) throw new Error(`no signing key ${keyId}`);
    const mac = secret.mac(entryHash);
    return Buffer.from(mac.buffer, mac.byteOffset, mac.byteLength).toString("hex");
  }

  /** Uses the named key only: no fallback to another key. Unknown key or malformed input: false. */
  verify(entryHash: string, signature: string, keyId: string): boolean {
    if (!hexPattern.test(entryHash)) return false;
    return this.verifyDigest(Buffer.from(entryHash, "hex"), signature, keyId);
  }

  /** verify() for a hash already decoded to its 32 bytes (sealing decodes each one once, for its tree too). */
  verifyDigest(entryHash: Uint8Array, signature: string, keyId: string): boolean {
    const secret = this.#secrets.get(keyId);
    if (!secret || entryHash.length !== 32 || !hexPattern.test(signature)) return false;
    // Compared as bytes in constant time; verification runs once per entry, so no hex round trip.
    const expected = secret.mac(entryHash);
    const given = Buffer.from(signature, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  // Keep secrets out of console.log, JSON.stringify and error reports.
  toJSON() {
    return { activeKeyId: this.activeKeyId, keyIds: this.keyIds };
  }
  [Symbol.for("nodejs.util.inspect.custom")]() {
    return `Keyring(${this.keyIds.join(", ")}; active ${this.activeKeyId})`;
  }
  [Symbol.for("Deno.customInspect")]() {
    return `Keyring(${this.keyIds.join(", ")}; active ${this.activeKeyId})`;
  }
}
