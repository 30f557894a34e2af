// Many writers at once: one organisation's chain stays gapless and unforked, organisations do not
// wait for each other, and every acknowledged event is in the trail.
import { afterAll, describe, expect, it } from "vitest";
import { appendAs, countEvents, createOrganization, sampleEvent, serviceToken, verifyTrail } from "./support/api.ts";
import { adminSql } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());

async function writer(org: string, requests: number, batch: number) {
  const acknowledged: string[] = [];
  for (let i = 0; i < requests; i++) {
    const response = await appendAs(serviceToken(), org, Array.from({ length: batch }, () => sampleEvent()));
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    acknowledged.push(...response.body.events.map((e: { id: string }) => e.id));
  }
  return acknowledged;
}

async function expectAllPresent(org: string, acknowledged: string[]) {
  const rows = await sql`select id from public.audit_events where organization_id = ${org}`;
  const stored = new Set(rows.map((r) => r.id));
  expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
}

describe("concurrent writers", () => {
  it("32 writers on one organisation produce one gapless, unforked chain", async () => {
    const org = await createOrganization(sql, "32 writers");
    const acknowledged = (await Promise.all(Array.from({ length: 32 }, (_, i) => writer(org, 8, 1 + (i % 4))))).flat();
    expect(new Set(acknowledged).size).toBe(acknowledged.length);
    expect(await countEvents(sql, org)).toBe(acknowledged.length);
    await expectAllPresent(org, acknowledged);
    const summary = await verifyTrail(sql, org);
    expect(summary).toMatchObject({ valid: true, checked: acknowledged.length, last_seq: acknowledged.length });
  });

  it("16 writers on sixteen organisations keep sixteen independent chains", async () => {
    const orgs = await Promise.all(Array.from({ length: 16 }, (_, i) => createOrganization(sql, `tenant ${i}`)));
    const acknowledged = await Promise.all(orgs.map((org) => writer(org, 10, 5)));
    for (const [i, org] of orgs.entries()) {
      await expectAllPresent(org, acknowledged[i]);
      expect(await verifyTrail(sql, org)).toMatchObject({ valid: true, checked: 50, last_seq: 50 });
    }
  });
});
