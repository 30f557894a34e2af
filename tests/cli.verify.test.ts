// `evident verify` as a subprocess: exit 0 for a valid trail, 1 with the first failing entry for a
// tampered one, 2 when it cannot run.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evident } from "./support/cli.ts";
import { appendAs, createOrganization, sampleEvent, serviceToken } from "./support/api.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());

const verifyAs = (args: string[], env: Record<string, string> = {}) =>
  evident(args, { DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: testStack.signingKeys, ...env });

let good: string;
let bad: string;
beforeAll(async () => {
  good = await createOrganization(sql, "verify: intact");
  bad = await createOrganization(sql, "verify: tampered");
  for (const org of [good, bad]) {
    expect((await appendAs(serviceToken(), org, Array.from({ length: 12 }, () => sampleEvent()))).status).toBe(201);
  }
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`update public.audit_events set action = 'quietly changed' where organization_id = ${bad} and seq = 7`;
  });
});

describe("evident verify", () => {
  it("exits 0 for an intact organisation", () => {
    const run = verifyAs(["verify", "--org", good]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`ok +${good}: 12 entries verified \\(through seq 12\\)`));
  });

  it("exits 1 and names the first failing entry for a tampered one", () => {
    const run = verifyAs(["verify", "--org", bad]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/TAMPERED .*12 entries checked; failures: 1 hash/);
    expect(run.stdout).toMatch(/first failing entry: seq 7 .*hash/);
  });

  it("reports machine-readably with --json", () => {
    const run = verifyAs(["verify", "--org", bad, "--json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.valid).toBe(false);
    expect(report.organizations[0]).toMatchObject({ checked: 12, failures: { hash: 1 }, first_failure: { seq: 7 }, head: { matches: true } });
  });

  it("verifies every organisation when none is named, and fails if any is tampered", () => {
    const run = verifyAs(["verify", "--json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    const byOrg = new Map(report.organizations.map((o: { organization_id: string; valid: boolean }) => [o.organization_id, o.valid]));
    expect(byOrg.get(good)).toBe(true);
    expect(byOrg.get(bad)).toBe(false);
  });

  it("still walks an organisation whose chain head row was deleted, and reports the missing head", async () => {
    const headless = await createOrganization(sql, "verify: head deleted");
    expect((await appendAs(serviceToken(), headless, [sampleEvent(), sampleEvent()])).status).toBe(201);
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`delete from evident.chain_heads where organization_id = ${headless}`;
    });
    const report = JSON.parse(verifyAs(["verify", "--json"]).stdout);
    const entry = report.organizations.find((o: { organization_id: string }) => o.organization_id === headless);
    expect(entry).toMatchObject({ valid: false, checked: 2, head: { head_seq: 0, matches: false } });
  });

  it("fails closed when it lacks the key a row names", () => {
    const run = verifyAs(["verify", "--org", good, "--json"], { AUDIT_SIGNING_KEYS: `someone-else:${"z".repeat(40)}` });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).organizations[0].first_failure.detail).toMatch(/not in the keyring/);
  });

  it("exits 2 when it cannot run", () => {
    expect(verifyAs(["verify"], { AUDIT_SIGNING_KEYS: "" }).stderr).toMatch(/AUDIT_SIGNING_KEYS is not set/);
    expect(verifyAs(["verify"], { AUDIT_SIGNING_KEYS: "" }).code).toBe(2);
    expect(verifyAs(["verify", "--org", "acme"]).code).toBe(2);
    expect(verifyAs(["verify", "--org", crypto.randomUUID()]).stderr).toMatch(/does not exist/);
    expect(verifyAs(["verify", "--from", "last week"]).code).toBe(2);
  });
});
