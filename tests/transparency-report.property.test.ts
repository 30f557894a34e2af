// The DSA transparency report's figures equal counting the trail's events one by one, for random
// trails over two months, one sealed (its figures from the kept facts) and one not (from rows), and
// a period that cuts both: totals, per-category and per-Member-State cells, the median time to act
// on notices, and how many counted events lie in the month not sealed yet.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { buildTransparencyReport } from "../supabase/functions/_shared/dsa/report.ts";
import { ExportSigner } from "../supabase/functions/_shared/export-key.ts";
import { monthBounds, sealMonth } from "../supabase/functions/_shared/seal.ts";
import { createOrganization, keyring } from "./support/api.ts";
import { backfillMonth } from "./support/backfill.ts";
import { countOneByOne, dsaCase, type DsaEvent } from "./support/dsa.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());

const cell = (rows: string[][], code: string, column: string, scope?: string) => {
  const header = rows[0];
  const row = rows.find((r) => r[3] === code && (scope === undefined || r[5] === scope));
  return row?.[header.indexOf(column)];
};

describe("the DSA transparency report", () => {
  it("counts what counting the events one by one counts", async () => {
    const signer = ExportSigner.parse(testStack.exportSigningKey);
    let run = 0;
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 20, max: 60 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => fc.tuple(fc.boolean(), fc.constant(i))))),
      fc.integer({ min: 0, max: 2 ** 31 }),
      async (placements, seed) => {
        // Each run gets two months of its own: sealing is once per month, for every organisation.
        const year = 2015 + Math.floor(run / 6);
        const first = `${year}-${String(2 * (run % 6) + 1).padStart(2, "0")}`;
        const second = `${year}-${String(2 * (run % 6) + 2).padStart(2, "0")}`;
        run += 1;
        const windowStart = Date.parse(`${first}-01T00:00:00Z`) - 5 * 86_400_000;
        const windowMs = 62 * 86_400_000;
        const cases = fc.sample(fc.tuple(...placements.map(([, i]) => dsaCase(windowStart, windowMs, i))), { numRuns: 1, seed })[0];
        const firstMonth: DsaEvent[] = [];
        const secondMonth: DsaEvent[] = [];
        cases.forEach((events, i) => (placements[i][0] ? firstMonth : secondMonth).push(...events));

        const org = await createOrganization(sql, `dsa report ${first}`);
        const ring = keyring();
        await backfillMonth(sql, org, first, firstMonth, ring);
        await backfillMonth(sql, org, second, secondMonth, ring);
        const sealed = await sealMonth(sql, monthBounds(first)!, ring, signer);
        expect(sealed.status).toBe("sealed");

        // From the 3rd of the first month to the 20th of the second: events on both sides are left out.
        const from = `${first}-03`;
        const to = `${second}-20`;
        const report = await buildTransparencyReport(sql, { organizationId: org, from, to }, signer);
        const expected = countOneByOne([...firstMonth, ...secondMonth], from, to);
        const secondOnly = countOneByOne(secondMonth, from, to);

        for (const [name, value] of Object.entries(expected.totals)) expect(report.totals[name], name).toBe(value);
        expect(report.totals.events_counted).toBe(expected.counted);
        expect(report.unsealed_events).toBe(secondOnly.counted);
        expect(report.status).toBe("provisional");
        expect(report.sealed_months.map((m) => m.month)).toContain(first);
        expect(report.sealed_months.find((m) => m.month === first)?.checksum).toBe(sealed.status === "sealed" ? sealed.manifest.checksum : "");

        const notices = report.parts.find((p) => p.part === 4)!.rows;
        expect(cell(notices, "TOTAL", "Number of notices received ")).toBe(String(expected.totals.notices_received));
        expect(cell(notices, "STATEMENT_CATEGORY_VIOLENCE", "Number of notices received ")).toBe(String(expected.noticesByCategory("STATEMENT_CATEGORY_VIOLENCE")));
        expect(cell(notices, "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE", "Number of notices received "))
          .toBe(String(expected.noticesByCategory("STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE")));
        expect(cell(notices, "TOTAL", "Median time to take action")).toBe(expected.medianActionHours === null ? "" : String(expected.medianActionHours));

        const orders = report.parts.find((p) => p.part === 3)!.rows;
        for (const state of ["DE", "EL"]) {
          const n = expected.ordersFrom(state);
          const received = ["Number of orders to act against illegal content received", "Number of orders to provide information"]
            .map((column) => Number(cell(orders, "TOTAL", column, state) ?? 0)).reduce((a, b) => a + b, 0);
          expect(received, `orders from ${state}`).toBe(n);
        }
        const complaints = report.parts.find((p) => p.part === 7)!.rows;
        expect(complaints[1][6]).toBe(String(expected.totals.complaints_received));
      },
    ), { numRuns: 4, endOnFailure: true });
  }, 240_000);
});
