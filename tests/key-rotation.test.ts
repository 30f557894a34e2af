// The rotation runbook (docs/runbooks/key-rotation.md), run command by command: old entries keep
// verifying with their own key, new ones with the new key, and the rotation is in the chain.
import path from "node:path";
import { newExportKey, scratchArchive } from "./support/archive.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExportSigner } from "../supabase/functions/_shared/export-key.ts";
import { appendAs, createOrganization, keyring, sampleEvent, serviceToken } from "./support/api.ts";
import { backfillMonth } from "./support/backfill.ts";
import { evident } from "./support/cli.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
const scratch = scratchArchive("rotation");
const archive = scratch.dir;
afterAll(async () => {
  await sql.end();
  scratch.remove();
});

let org: string;
beforeAll(async () => {
  org = await createOrganization(sql, "rotating");
  expect((await appendAs(serviceToken(), org, Array.from({ length: 4 }, () => sampleEvent()))).status).toBe(201);
});

const oldPair = () => testStack.signingKeys;
const oldId = () => testStack.activeKeyId;

describe("rotating the HMAC key", () => {
  let newPair: string;

  it("generates a new key pair", () => {
    const run = evident(["keys", "generate", "--kind", "hmac", "--id", "rotated-2"]);
    expect(run.code, run.stderr).toBe(0);
    newPair = run.stdout.trim();
    expect(newPair).toMatch(/^rotated-2:[A-Za-z0-9_-]{43}$/);
    expect(evident(["keys", "generate", "--kind", "hmac"]).code).toBe(2);
  });

  it("refuses to record a rotation before the new key is active, or without the old key", () => {
    const notActive = evident(["keys", "record-rotation", "--from", oldId(), "--to", "rotated-2", "--org", org],
      { DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: `${oldPair()},${newPair}`, AUDIT_ACTIVE_KEY_ID: oldId() });
    expect(notActive.code).toBe(2);
    expect(notActive.stderr).toMatch(/make the new key active first/);
    const oldDropped = evident(["keys", "record-rotation", "--from", oldId(), "--to", "rotated-2", "--org", org],
      { DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: newPair, AUDIT_ACTIVE_KEY_ID: "rotated-2" });
    expect(oldDropped.code).toBe(2);
    expect(oldDropped.stderr).toMatch(/keep the old key beside the new one/);
  });

  it("records the rotation in the chain, signed with the new key, and everything verifies with both keys", async () => {
    const env = { DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: `${oldPair()},${newPair}`, AUDIT_ACTIVE_KEY_ID: "rotated-2" };
    const run = evident(["keys", "record-rotation", "--from", oldId(), "--to", "rotated-2", "--org", org], env);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/in 1 of 1 organisation/);
    const [rotation] = await sql`select key_id, event_type, metadata from public.audit_events where organization_id = ${org} and seq = 5`;
    expect(rotation).toEqual({ key_id: "rotated-2", event_type: "key_rotated", metadata: { kind: "hmac", previous_key_id: oldId(), new_key_id: "rotated-2" } });

    expect(evident(["verify", "--org", org], env).code).toBe(0);
    // Each entry verifies with its own key only: drop either key and its entries fail.
    const onlyNew = evident(["verify", "--org", org, "--json"], { ...env, AUDIT_SIGNING_KEYS: newPair });
    expect(onlyNew.code).toBe(1);
    expect(JSON.parse(onlyNew.stdout).organizations[0]).toMatchObject({ failures: { signature: 4 }, first_failure: { seq: 1 } });
    const onlyOld = evident(["verify", "--org", org, "--json"], { ...env, AUDIT_SIGNING_KEYS: oldPair() });
    expect(JSON.parse(onlyOld.stdout).organizations[0]).toMatchObject({ failures: { signature: 1 }, first_failure: { seq: 5 } });

    const shown = evident(["keys", "show", "--json"], env);
    const keys = JSON.parse(shown.stdout).hmac_keys;
    expect(keys.find((k: { key_id: string }) => k.key_id === "rotated-2")).toMatchObject({ active: true, configured: true });
    expect(keys.find((k: { key_id: string }) => k.key_id === oldId())).toMatchObject({ active: false, configured: true });
  });

  it("keys show names keys whose entries cannot be verified", () => {
    const run = evident(["keys", "show"], { DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: oldPair(), AUDIT_ACTIVE_KEY_ID: oldId() });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/rotated-2 +NOT CONFIGURED/);
    expect(run.stdout).toMatch(/cannot be verified: rotated-2/);
  });
});

describe("rotating the Ed25519 export key", () => {
  it("keeps months sealed under the old key verifiable with its published public key", async () => {
    const oldKey = newExportKey();
    const sealedOrg = await createOrganization(sql, "sealed before rotation");
    await backfillMonth(sql, sealedOrg, "2026-03", [sampleEvent(), sampleEvent()], keyring());
    const base = { DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: testStack.signingKeys, EVIDENT_ARCHIVE_DIR: archive };
    expect(evident(["seal", "--month", "2026-03"], { ...base, AUDIT_EXPORT_SIGNING_KEY: oldKey }).code).toBe(0);

    const generated = evident(["keys", "generate", "--kind", "ed25519"]);
    expect(generated.code).toBe(0);
    const newKey = generated.stdout.trim();
    const oldId = ExportSigner.parse(oldKey).keyId;
    const newId = ExportSigner.parse(newKey).keyId;
    expect(generated.stderr).toContain(newId);

    const recorded = evident(["keys", "record-rotation", "--kind", "ed25519", "--from", oldId, "--to", newId, "--org", sealedOrg],
      { ...base, AUDIT_ACTIVE_KEY_ID: testStack.activeKeyId, AUDIT_EXPORT_SIGNING_KEY: newKey });
    expect(recorded.code, recorded.stderr).toBe(0);

    // With the new key configured, the old month verifies against the old public key from the archive.
    const withNew = { ...base, AUDIT_EXPORT_SIGNING_KEY: newKey };
    expect(evident(["verify", "--month", "2026-03"], withNew).code).toBe(1);
    const run = evident(["verify", "--month", "2026-03", "--public-key", path.join(archive, "keys", `${oldId}.pem`)], withNew);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // And the rotation itself was recorded in the organisation's chain.
    const [event] = await sql`select metadata from public.audit_events where organization_id = ${sealedOrg} and event_type = 'key_rotated'`;
    expect(event.metadata).toEqual({ kind: "ed25519", previous_key_id: oldId, new_key_id: newId });
  });
});
