// Hashing and MACs for the canonical form. node:crypto is implemented by both Node and Deno, so
// this module is shared unchanged by the edge functions and the Node CLI. Web Crypto would be the
// other portable choice, but its one-promise-per-call API signs about six times slower for
// batches (measured: 30,000/s against 190,000/s in Deno; see TOOLCHAIN-NOTES), and a batch of a
// thousand events must not await a thousand promises.
import * as nodeCrypto from "node:crypto";

// crypto.hash() hashes in one call, without a Hash object: about twice as fast for the short inputs
// verification and sealing hash millions of. It is in Node from 20.12 and in Deno from 2.2; an
// older runtime (a hosted edge runtime pinned to an earlier Deno) gets createHash, same bytes.
export type OneShot = {
  (algorithm: string, data: Uint8Array | string, encoding: "buffer"): Uint8Array;
  (algorithm: string, data: Uint8Array | string, encoding: "hex"): string;
};

/** The SHA-256 helpers over the runtime's one-shot call, or over createHash where it has none. */
export function sha256Helpers(oneShot: OneShot | undefined): {
  sha256: (data: Uint8Array | string) => Uint8Array;
  sha256Hex: (data: Uint8Array | string) => string;
} {
  if (!oneShot) {
    return {
      sha256: (data) => nodeCrypto.createHash("sha256").update(data).digest(),
      sha256Hex: (data) => nodeCrypto.createHash("sha256").update(data).digest("hex"),
    };
  }
  return {
    sha256: (data) => oneShot("sha256", data, "buffer"),
    // Hex straight from the native call: half the cost of a Buffer turned into hex.
    sha256Hex: (data) => oneShot("sha256", data, "hex"),
  };
}

/**
 * SHA-256 of the bytes (a string: its UTF-8 bytes), as bytes (sha256) or lowercase hex
 * (sha256Hex).
 */
export const { sha256, sha256Hex } = sha256Helpers((nodeCrypto as { hash?: OneShot }).hash);

/**
 * HMAC-SHA256 (RFC 2104, FIPS 198-1) with the key's two padded blocks prepared once, so each MAC is
 * two one-shot SHA-256 calls. The output is createHmac's, byte for byte (tests/keyring.test.ts
 * checks it over random keys and messages); the cost per call is about 60% of createHmac's, which
 * matters because verifying and sealing compute one per entry.
 */
export class HmacSha256 {
  readonly #innerPad: Uint8Array;
  readonly #outerPad: Uint8Array;
  // Entry hashes are 32 bytes: their MACs reuse two buffers, each starting with its pad (sha256()
  // copies its input before returning).
  readonly #inner32 = new Uint8Array(96);
  readonly #outer = new Uint8Array(96);

  constructor(key: Uint8Array) {
    const block = new Uint8Array(64);
    block.set(key.length > 64 ? sha256(key) : key);
    this.#innerPad = block.map((byte) => byte ^ 0x36);
    this.#outerPad = block.map((byte) => byte ^ 0x5c);
    block.fill(0);
    this.#inner32.set(this.#innerPad);
    this.#outer.set(this.#outerPad);
  }

  mac(message: Uint8Array): Uint8Array {
    let inner = this.#inner32;
    if (message.length !== 32) {
      inner = new Uint8Array(64 + message.length);
      inner.set(this.#innerPad);
    }
    inner.set(message, 64);
    this.#outer.set(sha256(inner), 64);
    return sha256(this.#outer);
  }
}

export function hexToBytes(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new TypeError("not lowercase hex");
  return Buffer.from(hex, "hex");
}
