// canonicalText renders each payload member itself instead of handing the whole payload to the
// `canonicalize` library (RFC 8785), because verification spends most of its time there. Here the
// library is the reference: over arbitrary entries of both versions, including strings with lone
// surrogates, missing and mistyped members and arbitrary metadata, canonicalText returns exactly
// the library's text, or refuses exactly when the library refuses.
import canonicalize from "canonicalize";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalPayload, canonicalText, type EntryFields } from "../supabase/functions/_shared/canonical.ts";

const anyString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  // Lone surrogates and escapes: the characters whose rendering differs between serialisers.
  fc.string({ unit: fc.constantFrom("\uD800", "\uDFFF", "\u0000", "\u001f", "\u007f", "\"", "\\", "\u2028", "é", "😀"), maxLength: 6 }),
);
const instant = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2099, 0, 1) })
  .map((ms) => `${new Date(ms).toISOString().slice(0, 23)}${String(ms % 1000).padStart(3, "0")}Z`);
const hex64 = fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 64, maxLength: 64 });
const metadata = fc.oneof(
  fc.dictionary(anyString, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
  fc.dictionary(anyString, anyString, { maxKeys: 4 }),
);

const fields = fc.record({
  id: fc.uuid(),
  organization_id: fc.uuid(),
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  previous_hash: fc.option(hex64, { nil: null }),
  key_id: anyString,
  event_type: anyString,
  actor_id: anyString,
  actor_type: anyString,
  target_id: anyString,
  target_type: anyString,
  action: anyString,
  metadata,
  timestamp: instant,
  created_at: instant,
  retention_until: instant,
  pii_tagged: fc.boolean(),
  personal_commitments: fc.option(
    fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), hex64, { minKeys: 1, maxKeys: 3 }),
    { nil: null },
  ),
}, { requiredKeys: ["id", "organization_id", "seq", "timestamp", "created_at", "retention_until"] })
  // Rows read back from a damaged table can hold anything in any member: mistype one now and then.
  .chain((f) => fc.oneof(
    { weight: 4, arbitrary: fc.constant(f) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom("actor_id", "pii_tagged", "metadata", "previous_hash", "action"), fc.jsonValue({ maxDepth: 2 }))
        .map(([name, value]) => ({ ...f, [name]: value })) },
  )) as fc.Arbitrary<EntryFields>;

/** What the library says: its text, or the fact that it refuses. */
function reference(f: EntryFields, version: number): string | "refused" {
  let payload: Record<string, unknown>;
  try {
    payload = canonicalPayload(f, version);
  } catch {
    return "refused";
  }
  try {
    return canonicalize(payload) ?? "refused";
  } catch {
    return "refused";
  }
}

function ours(f: EntryFields, version: number): string | "refused" {
  try {
    return canonicalText(f, version);
  } catch {
    return "refused";
  }
}

describe("canonicalText is the canonicalize library's RFC 8785 text", () => {
  it("for every generated entry of either version", () => {
    fc.assert(
      fc.property(fields, fc.constantFrom(1, 2), (f, version) => {
        const entry = version === 1 ? { ...f, personal_commitments: null } : f;
        expect(ours(entry, version)).toBe(reference(entry, version));
      }),
      { numRuns: 3000 },
    );
  });

  it("skips a member whose value is missing, as the library does", () => {
    const base = fc.sample(fields, { numRuns: 1, seed: 7 })[0];
    const withoutAction = { ...base, personal_commitments: null, action: undefined } as unknown as EntryFields;
    expect(ours(withoutAction, 1)).toBe(reference(withoutAction, 1));
    expect(ours(withoutAction, 1)).not.toContain(`"action":`);
  });

  it("refuses a lone surrogate in a string member", () => {
    const base = { ...fc.sample(fields, { numRuns: 1, seed: 3 })[0], personal_commitments: null, actor_id: "a\uD800b" };
    expect(() => canonicalText(base, 1)).toThrow(/lone surrogate/);
  });
});
