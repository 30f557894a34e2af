// GET /functions/v1/audit-verify (one entry, or a range) and /functions/v1/audit-keys over HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExportSigner, verifyExportSignature } from "../supabase/functions/_shared/export-key.ts";
import { appendAs, createMember, createOrganization, sampleEvent, serviceToken, userToken } from "./support/api.ts";
import { adminSql, functionUrl, testStack } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());

async function get(name: string, query: Record<string, string>, token?: string) {
  const response = await fetch(functionUrl(name, query), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: response.status, body: await response.json() };
}

let org: string;
let ids: string[];
let auditor: string;
beforeAll(async () => {
  org = await createOrganization(sql, "verify endpoint");
  auditor = await createMember(sql, org, "auditor");
  const response = await appendAs(serviceToken(), org, Array.from({ length: 6 }, () => sampleEvent()));
  ids = response.body.events.map((e: { id: string }) => e.id);
});

const verifications = async () =>
  await sql`select actor_id, metadata from public.audit_events where organization_id = ${org} and event_type = 'audit_verification' order by seq`;

describe("audit-verify", () => {
  it("verifies one entry, hash, signature and link, and records that it did", async () => {
    const before = (await verifications()).length;
    const response = await get("audit-verify", { log_id: ids[3] }, await userToken(auditor));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      organization_id: org, scope: "entry", valid: true,
      entry: { seq: 4, hash_valid: true, signature_valid: true, chain_valid: true, sequence_valid: true, failures: [] },
    });
    const recorded = await verifications();
    expect(recorded).toHaveLength(before + 1);
    expect(recorded[recorded.length - 1]).toMatchObject({ actor_id: auditor, metadata: { scope: "entry", log_id: ids[3], seq: 4, valid: true } });
  });

  it("verifies an organisation's range and checks it ends at the head", async () => {
    const response = await get("audit-verify", { organization_id: org }, serviceToken());
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ organization_id: org, scope: "range", valid: true, head: { matches: true } });
    expect(response.body.checked).toBeGreaterThanOrEqual(6);
  });

  it("reports a tampered entry, and the range around it, as invalid", async () => {
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update public.audit_events set target_id = 'elsewhere' where organization_id = ${org} and seq = 2`;
    });
    const one = await get("audit-verify", { log_id: ids[1] }, serviceToken());
    expect(one.body).toMatchObject({ valid: false, entry: { seq: 2, hash_valid: false, failures: ["hash"] } });
    const next = await get("audit-verify", { log_id: ids[2] }, serviceToken());
    expect(next.body).toMatchObject({ valid: true }); // seq 3 links to the stored hash of 2, which did not change
    const range = await get("audit-verify", { organization_id: org, start: "2000-01-01T00:00:00Z" }, serviceToken());
    expect(range.body).toMatchObject({ valid: false, first_failure: { seq: 2, failures: ["hash"] } });
  });

  const refusals: Array<[string, () => Promise<{ query: Record<string, string>; token?: string }>, number]> = [
    ["a moderator", async () => ({ query: { organization_id: org }, token: await userToken(await createMember(sql, org, "moderator")) }), 403],
    ["a member of another organisation asking for an entry", async () => ({ query: { log_id: ids[0] }, token: await userToken(await createMember(sql, await createOrganization(sql), "admin")) }), 403],
    ["a signed-in user asking for an entry that does not exist (no probing)", async () => ({ query: { log_id: crypto.randomUUID() }, token: await userToken(auditor) }), 403],
    ["the service role asking for an entry that does not exist", async () => ({ query: { log_id: crypto.randomUUID() }, token: serviceToken() }), 404],
    ["no token", async () => ({ query: { organization_id: org } }), 401],
    ["both an entry and an organisation", async () => ({ query: { log_id: ids[0], organization_id: org }, token: serviceToken() }), 400],
    ["a malformed start", async () => ({ query: { organization_id: org, start: "last month" }, token: serviceToken() }), 400],
    ["nothing to verify", async () => ({ query: {}, token: serviceToken() }), 400],
  ];
  for (const [label, arrange, status] of refusals) {
    it(`refuses ${label} with ${status}, recording nothing`, async () => {
      const before = (await verifications()).length;
      const { query, token } = await arrange();
      const response = await get("audit-verify", query, token);
      expect(response.status).toBe(status);
      expect(typeof (response.body.error?.message ?? response.body.message)).toBe("string");
      expect(await verifications()).toHaveLength(before);
    });
  }
});

describe("audit-keys", () => {
  it("serves the export public key to anyone, without a token", async () => {
    const response = await get("audit-keys", {});
    expect(response.status).toBe(200);
    const signer = ExportSigner.parse(testStack.exportSigningKey);
    expect(response.body.keys).toEqual([{ key_id: signer.keyId, algorithm: "Ed25519", public_key_pem: signer.publicKeyPem() }]);
    const bytes = new TextEncoder().encode("a signed statement");
    expect(verifyExportSignature(bytes, signer.sign(bytes), response.body.keys[0].public_key_pem)).toBe(true);
  });
});
