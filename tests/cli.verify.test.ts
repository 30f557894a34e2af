// `evident verify` as a subprocess: exit 0 for a valid trail, 1 with the first failing entry for a
// tampered one, 2 when it cannot run.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../scripts/stack/config.ts";
import { appendAs, createOrganization, sampleEvent, serviceToken } from "./support/api.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());

const evident = (args: string[], env: Record<string, string> = {}) => {
  const result = spawnSync(process.execPath, ["bin/evident.mjs", ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: testStack.signingKeys, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};

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
    const run = evident(["verify", "--org", good]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`ok +${good}: 12 entries verified \\(through seq 12\\)`));
  });

  it("exits 1 and names the first failing entry for a tampered one", () => {
    const run = evident(["verify", "--org", bad]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toMatch(/TAMPERED .*12 entries checked; failures: 1 hash/);
    expect(run.stdout).toMatch(/first failing entry: seq 7 .*hash/);
  });

  it("reports machine-readably with --json", () => {
    const run = evident(["verify", "--org", bad, "--json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.valid).toBe(false);
    expect(report.organizations[0]).toMatchObject({ checked: 12, failures: { hash: 1 }, first_failure: { seq: 7 }, head: { matches: true } });
  });

  it("verifies every organisation when none is named, and fails if any is tampered", () => {
    const run = evident(["verify", "--json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    const byOrg = new Map(report.organizations.map((o: { organization_id: string; valid: boolean }) => [o.organization_id, o.valid]));
    expect(byOrg.get(good)).toBe(true);
    expect(byOrg.get(bad)).toBe(false);
  });

  it("fails closed when it lacks the key a row names", () => {
    const run = evident(["verify", "--org", good, "--json"], { AUDIT_SIGNING_KEYS: `someone-else:${"z".repeat(40)}` });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).organizations[0].first_failure.detail).toMatch(/not in the keyring/);
  });

  it("exits 2 when it cannot run", () => {
    expect(evident(["verify"], { AUDIT_SIGNING_KEYS: "" }).stderr).toMatch(/AUDIT_SIGNING_KEYS is not set/);
    expect(evident(["verify"], { AUDIT_SIGNING_KEYS: "" }).code).toBe(2);
    expect(evident(["verify", "--org", "acme"]).code).toBe(2);
    expect(evident(["verify", "--org", crypto.randomUUID()]).stderr).toMatch(/does not exist/);
    expect(evident(["verify", "--from", "last week"]).code).toBe(2);
  });
});
