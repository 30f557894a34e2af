// The archive round trip over a large input space: arbitrary events (any text, any JSON metadata,
// any instant) are sealed, archived as NDJSON, verified from the file alone and restored into a
// schema, and both verify against the signed manifest. Then any single change to any field of any
// archived line is detected.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventInput, type EventInput } from "../supabase/functions/_shared/schemas/events.ts";
import { unstorableJson, unstorableString } from "../supabase/functions/_shared/schemas/values.ts";
import { newExportKey, scratchArchive } from "./support/archive.ts";
import { createOrganization, keyring } from "./support/api.ts";
import { backfillMonth } from "./support/backfill.ts";
import { evident } from "./support/cli.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
const scratch = scratchArchive("archive-property");
const exportKey = newExportKey();
const month = "2022-07";
afterAll(async () => {
  await sql`drop schema if exists evident_rehydrated_2022_07 cascade`;
  await sql.end();
  scratch.remove();
});
const env = () => ({
  DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: testStack.signingKeys, AUDIT_EXPORT_SIGNING_KEY: exportKey, EVIDENT_ARCHIVE_DIR: scratch.dir,
});

const storableString = (max: number) =>
  fc.oneof(fc.string({ unit: "binary", minLength: 1, maxLength: max }), fc.string({ unit: "grapheme", minLength: 1, maxLength: Math.min(max, 40) }))
    .filter((s) => s.length <= max && unstorableString(s, "s") === undefined);
const metadata = fc.dictionary(fc.string({ unit: "binary", maxLength: 12 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 })
  .filter((m) => unstorableJson(m, "metadata") === undefined);
const instant = fc.tuple(fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2099, 11, 31) }), fc.integer({ min: 0, max: 999 }))
  .map(([millis, micros]) => `${new Date(millis).toISOString().slice(0, 23)}${String(micros).padStart(3, "0")}Z`);
const event = fc.record({
  event_type: fc.stringMatching(/^[a-z][a-z0-9_]{0,20}(\.[a-z0-9_]{1,10})?$/).filter((t) => !["report_submitted", "decision_made", "appeal_decided", "audit_access"].includes(t)),
  actor_id: storableString(256),
  actor_type: storableString(64),
  target_id: storableString(256),
  target_type: storableString(64),
  action: storableString(128),
  metadata,
  timestamp: instant,
  pii_tagged: fc.boolean(),
}).map((raw) => eventInput.parse(raw) as EventInput);

const file = path.join(scratch.dir, "events", `${month}.ndjson.gz`);
let original: Buffer;

beforeAll(async () => {
  const ring = keyring();
  const events = fc.sample(event, { numRuns: 300, seed: 20221130 });
  const [a, b] = [await createOrganization(sql, "archive property A"), await createOrganization(sql, "archive property B")];
  await backfillMonth(sql, a, month, events.slice(0, 180), ring);
  await backfillMonth(sql, b, month, events.slice(180), ring);
  const sealed = evident(["seal", "--month", month], env());
  expect(sealed.code, sealed.stderr + sealed.stdout).toBe(0);
  original = readFileSync(file);
});

describe("archived months of arbitrary events", () => {
  it("verify from the file alone and restore into a schema that verifies", () => {
    const checked = evident(["archive", "verify", "--month", month, "--archive", scratch.dir], env());
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toMatch(/300 archived entries match the signed manifest/);
    const restored = evident(["rehydrate", "--month", month, "--archive", scratch.dir, "--replace"], env());
    expect(restored.code, restored.stdout + restored.stderr).toBe(0);
  });

  it("detect any single change to any field of any line", () => {
    const lines = gunzipSync(original).toString("utf8").split("\n").filter(Boolean);
    const fields = Object.keys(JSON.parse(lines[0]));
    fc.assert(
      fc.property(fc.nat(lines.length - 1), fc.constantFrom(...fields), fc.string({ minLength: 1, maxLength: 8 }), (index, field, text) => {
        const entry = JSON.parse(lines[index]);
        const before = JSON.stringify(entry[field]);
        entry[field] = typeof entry[field] === "number" ? entry[field] + 1
          : typeof entry[field] === "boolean" ? !entry[field]
          : field === "metadata" ? { ...entry.metadata, [`x${text}`]: text }
          : typeof entry[field] === "string" ? `${entry[field].slice(0, -1)}${entry[field].endsWith("0") ? "1" : "0"}`
          : text;
        fc.pre(JSON.stringify(entry[field]) !== before);
        const changed = [...lines];
        changed[index] = JSON.stringify(entry);
        writeFileSync(file, gzipSync(changed.map((l) => l + "\n").join("")));
        try {
          const run = evident(["archive", "verify", "--month", month, "--archive", scratch.dir], env());
          expect(run.code, `${field} of line ${index + 1}: ${run.stdout}`).toBe(1);
          expect(run.stdout).toMatch(/CORRUPTED 2022-07/);
        } finally {
          writeFileSync(file, original);
        }
      }),
      { numRuns: 25, seed: 8 },
    );
  });
});
