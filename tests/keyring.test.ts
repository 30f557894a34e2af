// The signing keys: parsed strictly, never printed, and the audit-events function refuses to start
// without a usable one (checked by starting the real function under Deno).
import { spawnSync } from "node:child_process";
import * as nodeCrypto from "node:crypto";
import { createHash, createHmac } from "node:crypto";
import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bin, repoRoot } from "../scripts/stack/config.ts";
import { HmacSha256, type OneShot, sha256Helpers } from "../supabase/functions/_shared/crypto.ts";
import { Keyring } from "../supabase/functions/_shared/keyring.ts";

const secret = "s3cret-material-that-is-long-enough-0123456789";

describe("HmacSha256", () => {
  it("is node:crypto's createHmac, byte for byte, for any key and message", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.uint8Array({ minLength: 0, maxLength: 300 }), (key, message) => {
        const expected = createHmac("sha256", key).update(message).digest("hex");
        expect(Buffer.from(new HmacSha256(key).mac(message)).toString("hex")).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("matches RFC 4231 test case 2 and test case 6 (a key longer than a block)", () => {
    const mac = (key: Uint8Array, text: string) => Buffer.from(new HmacSha256(key).mac(new TextEncoder().encode(text))).toString("hex");
    expect(mac(new TextEncoder().encode("Jefe"), "what do ya want for nothing?"))
      .toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    expect(mac(new Uint8Array(131).fill(0xaa), "Test Using Larger Than Block-Size Key - Hash Key First"))
      .toBe("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  });
});

describe("sha256Helpers", () => {
  const oneShot = (nodeCrypto as { hash?: OneShot }).hash;
  it("gives createHash's digest, over the one-shot call and over the createHash fallback", () => {
    expect(oneShot, "this Node has crypto.hash (engines: >=20.12)").toBeTypeOf("function");
    const paths = { "one-shot": sha256Helpers(oneShot), fallback: sha256Helpers(undefined) };
    for (const [name, { sha256, sha256Hex }] of Object.entries(paths)) {
      expect(sha256Hex("abc"), name).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
      fc.assert(
        fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.string({ unit: "grapheme", maxLength: 100 })), (data) => {
          const expected = createHash("sha256").update(data).digest("hex");
          expect(sha256Hex(data), name).toBe(expected);
          expect(Buffer.from(sha256(data)).toString("hex"), name).toBe(expected);
        }),
        { numRuns: 500 },
      );
    }
  });
});

describe("Keyring.parse", () => {
  it("accepts several keys and signs with the active one", () => {
    const ring = Keyring.parse(`old:${secret}, new:${secret}-2`, "new");
    expect(ring.keyIds).toEqual(["old", "new"]);
    const hash = "ab".repeat(32);
    const signature = ring.sign(hash);
    expect(ring.verify(hash, signature, "new")).toBe(true);
    // Verification uses the row's key only: the same signature does not pass under another key.
    expect(ring.verify(hash, signature, "old")).toBe(false);
    expect(ring.verify(hash, signature, "unknown")).toBe(false);
    expect(ring.verify(hash, signature.replace(/.$/, (c) => (c === "0" ? "1" : "0")), "new")).toBe(false);
  });

  const refusals: Array<[string, string | undefined, string | undefined, RegExp]> = [
    ["no keys at all", undefined, "k", /AUDIT_SIGNING_KEYS is not set/],
    ["no active key id", `k:${secret}`, undefined, /AUDIT_ACTIVE_KEY_ID is not set/],
    ["an active id the keys lack", `k:${secret}`, "other", /names key other, which AUDIT_SIGNING_KEYS does not contain/],
    ["a secret under 32 bytes", "k:short-secret", "k", /key k is 12 bytes; at least 32/],
    ["an entry without a colon", secret, "k", /entry 1 is not of the form key_id:secret/],
    ["a duplicate key id", `k:${secret},k:${secret}`, "k", /names key k twice/],
    ["a key id with spaces", `bad id:${secret}`, "bad id", /invalid key id/],
  ];
  for (const [label, keys, active, message] of refusals) {
    it(`refuses ${label}`, () => {
      expect(() => Keyring.parse(keys, active)).toThrow(message);
    });
  }

  it("never shows a secret when printed or serialised", () => {
    const ring = Keyring.parse(`k:${secret}`, "k");
    expect(JSON.stringify(ring)).not.toContain(secret);
    expect(inspect(ring, { depth: 5, showHidden: true })).not.toContain(secret);
    expect(String(ring)).not.toContain(secret);
  });
});

describe("the audit-events function at start-up", () => {
  const start = (env: Record<string, string>) =>
    spawnSync(bin("deno"), ["run", "--allow-env", "--allow-read", "--allow-net", "--allow-sys", "supabase/functions/audit-events/index.ts"], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", EVIDENT_JWT_SECRET: "x".repeat(40), AUDIT_PII_COMMITMENT_KEY: secret, ...env },
      encoding: "utf8",
      timeout: 60_000,
    });

  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ["no signing keys", { AUDIT_ACTIVE_KEY_ID: "k" }, /AUDIT_SIGNING_KEYS is not set/],
    ["no active key", { AUDIT_SIGNING_KEYS: `k:${secret}` }, /AUDIT_ACTIVE_KEY_ID is not set/],
    ["an unknown active key", { AUDIT_SIGNING_KEYS: `k:${secret}`, AUDIT_ACTIVE_KEY_ID: "j" }, /names key j/],
    ["a short secret", { AUDIT_SIGNING_KEYS: "k:0123456789", AUDIT_ACTIVE_KEY_ID: "k" }, /key k is 10 bytes/],
    ["no way to verify callers", { AUDIT_SIGNING_KEYS: `k:${secret}`, AUDIT_ACTIVE_KEY_ID: "k", EVIDENT_JWT_SECRET: "" }, /neither SUPABASE_JWKS nor EVIDENT_JWT_SECRET/],
    ["no personal-data commitment key", { AUDIT_SIGNING_KEYS: `k:${secret}`, AUDIT_ACTIVE_KEY_ID: "k", AUDIT_PII_COMMITMENT_KEY: "" }, /AUDIT_PII_COMMITMENT_KEY is not set/],
    ["a short commitment key", { AUDIT_SIGNING_KEYS: `k:${secret}`, AUDIT_ACTIVE_KEY_ID: "k", AUDIT_PII_COMMITMENT_KEY: "short" }, /AUDIT_PII_COMMITMENT_KEY is 5 bytes; at least 32/],
  ];
  for (const [label, env, message] of cases) {
    it(`refuses to start with ${label}, naming it and printing no secret`, () => {
      const result = start(env);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(message);
      expect(result.stderr + result.stdout).not.toContain(secret);
    });
  }
});
