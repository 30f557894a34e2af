// The DSA transparency report through `evident transparency-report` / `verify-report` and through
// compliance-reports: the signed report and its CSV parts, --final refused while a month holding
// counted events is not sealed, who may read it, what is recorded, and bad input refused.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noticesPart } from "../supabase/functions/_shared/dsa/template.ts";
import { verifyTransparencyReport } from "../supabase/functions/_shared/dsa/verify.ts";
import { ExportSigner } from "../supabase/functions/_shared/export-key.ts";
import { monthBounds, sealMonth } from "../supabase/functions/_shared/seal.ts";
import { callFunction, createMember, createOrganization, createUser, keyring, serviceToken, userToken } from "./support/api.ts";
import { backfillMonth } from "./support/backfill.ts";
import { evident } from "./support/cli.ts";
import { event } from "./support/dsa.ts";
import { adminSql, functionUrl, testStack } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());

const signer = () => ExportSigner.parse(testStack.exportSigningKey);
const scratch = mkdtempSync(path.join(tmpdir(), "evident-dsa-report-"));
const publicKey = path.join(scratch, "export-key.pem");
const env = () => ({ DB_URL: testStack.dbUrl, AUDIT_EXPORT_SIGNING_KEY: testStack.exportSigningKey });

// January 2014 is sealed; February is not.
const january = [
  event("report_submitted", "report", { report_type: "illegal_content", is_trusted_flagger: false, notice_id: "n-1", category: "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", keyword: "KEYWORD_PHISHING" }, "2014-01-05T10:00:00.000000Z"),
  event("report_submitted", "report", { report_type: "illegal_content", is_trusted_flagger: true, trusted_flagger_id: "tf-1", notice_id: "n-2" }, "2014-01-06T10:00:00.000000Z"),
  event("decision_made", "decide", { action: "content_removed", notice_id: "n-1", category: "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", decision_ground: "DECISION_GROUND_ILLEGAL_CONTENT", source_type: "SOURCE_ARTICLE_16", automated_decision: "AUTOMATED_DECISION_NOT_AUTOMATED" }, "2014-01-05T13:30:00.000000Z"),
  event("decision_made", "decide", { action: "account_suspended", category: "STATEMENT_CATEGORY_VIOLENCE", decision_ground: "DECISION_GROUND_INCOMPATIBLE_CONTENT", source_type: "SOURCE_VOLUNTARY", automated_decision: "AUTOMATED_DECISION_FULLY" }, "2014-01-07T00:00:00.000000Z"),
  event("appeal_filed", "file", { complaint_id: "c-1", basis: "account" }, "2014-01-08T00:00:00.000000Z"),
  event("appeal_decided", "decide", { complaint_id: "c-1", outcome: "reversed" }, "2014-01-09T12:00:00.000000Z"),
  event("authority_order", "receive", { order_id: "o-1", stage: "received", order_type: "act_against_illegal_content", member_state: "DE", items: 3 }, "2014-01-10T00:00:00.000000Z"),
  event("authority_order", "give_effect", { order_id: "o-1", stage: "effect_given" }, "2014-01-10T06:00:00.000000Z"),
];
const february = [
  event("report_submitted", "report", { report_type: "policy_violation", is_trusted_flagger: false }, "2014-02-02T00:00:00.000000Z"),
];

let org: string;
let admin: string, auditor: string, legal: string, moderator: string, stranger: string;

beforeAll(async () => {
  writeFileSync(publicKey, signer().publicKeyPem());
  org = await createOrganization(sql, "dsa report org");
  await backfillMonth(sql, org, "2014-01", january, keyring());
  await backfillMonth(sql, org, "2014-02", february, keyring());
  expect((await sealMonth(sql, monthBounds("2014-01")!, keyring(), signer())).status).toBe("sealed");
  [admin, auditor, legal, moderator] = await Promise.all([
    userToken(await createMember(sql, org, "admin")), userToken(await createMember(sql, org, "auditor")),
    userToken(await createMember(sql, org, "legal")), userToken(await createMember(sql, org, "moderator")),
  ]);
  stranger = await userToken(await createUser(sql));
}, 60_000);

describe("evident transparency-report", () => {
  it("writes a signed, provisional report that verify-report accepts, and rejects once changed", () => {
    const out = path.join(scratch, "report.json");
    const run = evident(["transparency-report", "--org", org, "--from", "2014-01-01", "--to", "2014-02-28", "--out", out, "--service", "Example"], env());
    expect(run.stderr).toContain("provisional");
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(out, "utf8"));
    expect(report.status).toBe("provisional");
    expect(report.totals).toMatchObject({ notices_received: 3, notices_by_trusted_flaggers: 1, complaints_received: 1, complaints_decisions_reversed: 1, authority_orders_received: 1 });
    expect(report.unsealed_events).toBe(1);
    expect(report.unsealed_months).toEqual([{ name: "audit_events_2014_02", month: "2014-02", events: 1 }]);
    expect(report.sealed_months.map((m: { month: string }) => m.month)).toEqual(["2014-01"]);

    const notices = report.parts.find((p: { part: number }) => p.part === 4).rows as string[][];
    const scams = notices.find((r) => r[3] === "STATEMENT_CATEGORY_SCAMS_AND_FRAUD")!;
    // Notice at 10:00, removal at 13:30: 3.5 hours; on the basis of the law.
    expect(scams.slice(5, 15)).toEqual(["1", "0", "1", "0", "3.5", "", "1", "0", "0", "0"]);
    expect(notices.find((r) => r[3] === "KEYWORD_PHISHING" && r[4] === "")?.[5]).toBe("1");
    const orders = report.parts.find((p: { part: number }) => p.part === 3).rows as string[][];
    const fromGermany = orders.find((r) => r[3] === "TOTAL" && r[5] === "DE")!;
    expect(fromGermany.slice(6, 13)).toEqual(["1", "3", "", "6", "0", "", ""]);
    expect(orders.every((r) => r[1] === "Service" || r[1] === "Example")).toBe(true);
    // Part 6: the automated account suspension on grounds of the terms and conditions.
    const termsAndConditions = report.parts.find((p: { part: number }) => p.part === 6).rows as string[][];
    const violence = termsAndConditions.find((r) => r[3] === "STATEMENT_CATEGORY_VIOLENCE")!;
    expect(violence.slice(5, 7)).toEqual(["1", "1"]);
    expect(violence[termsAndConditions[0].indexOf("Account restriction Suspension")]).toBe("1");
    // Part 7: the complaint, reversed after 36 hours, under its basis too.
    const complaints = report.parts.find((p: { part: number }) => p.part === 7).rows as string[][];
    const value = (indicator: string, scope: string) => complaints.find((r) => r[4] === indicator && r[5] === scope)?.[6];
    expect(value("Number of complaints submitted to the internal-complaints mechanism", "Decisions reversed")).toBe("1");
    expect(value("Number of complaints submitted to the internal-complaints mechanism", "Median time")).toBe("36");
    expect(value("Complaint regarding a decision to suspend or terminate an account ", "Total number")).toBe("1");
    expect(value("Complaint regarding a decision to suspend or terminate an account ", "Median time")).toBe("36");

    expect(evident(["verify-report", out, "--public-key", publicKey]).stdout).toContain("VALID");
    report.totals.notices_received = 4;
    writeFileSync(out, JSON.stringify(report));
    const tampered = evident(["verify-report", out, "--public-key", publicKey]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain("the signature does not verify");
  });

  it("refuses --final while a month holding counted events is not sealed, naming it", () => {
    const run = evident(["transparency-report", "--org", org, "--from", "2014-01-01", "--to", "2014-02-28", "--final"], env());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("2014-02 (audit_events_2014_02: 1)");
    expect(run.stdout).toBe("");
  });

  it("writes a final report's template parts as the Commission's CSV files, which verify-report ties to the signed report", () => {
    const dir = path.join(scratch, "final/");
    const run = evident(["transparency-report", "--org", org, "--from", "2014-01-01", "--to", "2014-01-31", "--final", "--format", "csv", "--out", dir], env());
    expect(run.code, run.stderr).toBe(0);
    const files = readdirSync(dir).sort();
    expect(files).toContain(noticesPart.file);
    expect(files.filter((f) => f.endsWith(".csv"))).toHaveLength(11);
    const csv = readFileSync(path.join(dir, noticesPart.file), "utf8");
    expect(csv.split("\r\n")[0]).toBe(noticesPart.header.map((h) => (/[",]/.test(h) ? `"${h.replaceAll('"', '""')}"` : h)).join(","));
    const report = JSON.parse(readFileSync(path.join(dir, "report.json"), "utf8"));
    expect(report.status).toBe("final");
    expect(report.unsealed_events).toBe(0);

    const part = path.join(dir, noticesPart.file);
    expect(evident(["verify-report", path.join(dir, "report.json"), "--public-key", publicKey, "--csv", part]).code).toBe(0);
    writeFileSync(part, csv.replace(",3.5,", ",2.5,"));
    const changed = evident(["verify-report", path.join(dir, "report.json"), "--public-key", publicKey, "--csv", part]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain("differs from the part the signed report holds");
  });

  it("refuses bad usage with exit 2 and writes nothing", () => {
    for (const args of [["--from", "2014-13-01", "--to", "2014-12-31"], ["--from", "2014-02-01", "--to", "2014-01-01"], ["--from", "2014-01-01"]]) {
      const run = evident(["transparency-report", "--org", org, ...args], env());
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stdout).toBe("");
    }
    expect(evident(["transparency-report", "--org", "not-a-uuid", "--from", "2014-01-01", "--to", "2014-01-31"], env()).code).toBe(2);
  });
});

describe("GET compliance-reports/report/transparency/{organization_id}", () => {
  const get = async (token: string, query: Record<string, string>, id = org) => {
    const response = await fetch(functionUrl(`compliance-reports/report/transparency/${id}`, query), { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  const period = { purpose: "DSA transparency report 2014", from: "2014-01-01", to: "2014-02-28" };
  const accessEvents = async () =>
    Number((await sql`select count(*) from public.audit_events where organization_id = ${org} and event_type = 'audit_access'`)[0].count);

  it("answers admins, auditors and legal with the signed report, and records each read", async () => {
    for (const token of [admin, auditor, legal]) {
      const before = await accessEvents();
      const response = await get(token, period);
      expect(response.status, response.text).toBe(200);
      const report = JSON.parse(response.text);
      expect(verifyTransparencyReport(report, [signer().publicKeyPem()])).toMatchObject({ valid: true });
      expect(report.totals.notices_received).toBe(3);
      expect(await accessEvents()).toBe(before + 1);
      const [access] = await sql`select metadata from public.audit_events where organization_id = ${org} and seq = ${Number(response.headers.get("x-evident-access-event-seq"))}`;
      expect(access.metadata.query_parameters).toMatchObject({ report: "report/transparency", from: "2014-01-01", to: "2014-02-28" });
    }
  });

  it("serves one part of the template as CSV", async () => {
    const response = await get(admin, { ...period, format: "csv", part: "4" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/csv");
    expect(response.headers.get("content-disposition")).toContain(noticesPart.file);
    expect(response.text.split("\r\n")[0].startsWith("Applicability,Service,Reporting period,Category of illegal content,")).toBe(true);
  });

  it("refuses a final report with months not sealed (409, naming them), and records nothing", async () => {
    const before = await accessEvents();
    const response = await get(admin, { ...period, final: "true" });
    expect(response.status).toBe(409);
    expect(JSON.parse(response.text).error).toMatchObject({ code: "not_final" });
    expect(response.text).toContain("2014-02");
    expect(await accessEvents()).toBe(before);
  });

  it("refuses moderators and strangers (403) and bad input (400), recording no read", async () => {
    const before = await accessEvents();
    expect((await get(moderator, period)).status).toBe(403);
    expect((await get(stranger, period)).status).toBe(403);
    for (const query of [
      { ...period, from: "2014-02-30" }, { ...period, from: "2014-03-01" }, { from: "2014-01-01", to: "2014-01-31" },
      { ...period, format: "xml" }, { ...period, part: "12" }, { ...period, extra: "1" },
    ]) {
      const response = await get(admin, query as Record<string, string>);
      expect(response.status, JSON.stringify(query)).toBe(400);
      expect(JSON.parse(response.text).error.message.length).toBeGreaterThan(10);
    }
    expect(await accessEvents()).toBe(before);
  });
});

describe("recording the DSA fields (POST audit-events)", () => {
  const append = (metadata: Record<string, unknown>, event_type = "decision_made") => callFunction("audit-events", {
    token: serviceToken(),
    body: { organization_id: org, events: [{ event_type, actor_id: "moderator-1", actor_type: "user", target_id: "content-9", target_type: "content", action: "decide", metadata }] },
  });

  it("accepts valid fields and refuses invalid ones with a 400 naming them, writing nothing", async () => {
    const before = Number((await sql`select count(*) from public.audit_events where organization_id = ${org}`)[0].count);
    expect((await append({ action: "content_removed", category: "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", keyword: "KEYWORD_PHISHING", decision_ground: "DECISION_GROUND_ILLEGAL_CONTENT", source_type: "SOURCE_VOLUNTARY", automated_decision: "AUTOMATED_DECISION_FULLY" })).status).toBe(201);
    expect((await append({ order_id: "o-9", stage: "received", order_type: "provide_information", member_state: "GR", category: "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER" }, "authority_order")).status).toBe(201);
    const refused: Array<[Record<string, unknown>, string, string]> = [
      [{ action: "content_removed", category: "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", keyword: "KEYWORD_HATE_SPEECH" }, "decision_made", "metadata.keyword"],
      [{ action: "content_removed", keyword: "KEYWORD_PHISHING" }, "decision_made", "metadata.keyword"],
      [{ action: "content_removed", category: "STATEMENT_CATEGORY_OTHER_VIOLATION_TC", decision_ground: "DECISION_GROUND_ILLEGAL_CONTENT" }, "decision_made", "metadata.category"],
      [{ action: "content_removed", automated_decision: "sometimes" }, "decision_made", "metadata.automated_decision"],
      [{ order_id: "o-10", stage: "received", order_type: "act_against_illegal_content" }, "authority_order", "metadata.member_state"],
      [{ order_id: "o-10", stage: "received", order_type: "act_against_illegal_content", member_state: "US" }, "authority_order", "metadata.member_state"],
      [{ order_id: "o-10", stage: "effect_given", member_state: "DE" }, "authority_order", "metadata.member_state"],
      [{ report_type: "illegal_content", is_trusted_flagger: false, items: 0 }, "report_submitted", "metadata.items"],
      [{ report_type: "illegal_content", is_trusted_flagger: false, category: "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER" }, "report_submitted", "metadata.category"],
      [{ outcome: "partially" }, "appeal_decided", "metadata.outcome"],
      [{ stage: "decided" }, "ods_escalation", "metadata.outcome"],
      [{ reason: "spam" }, "repeat_offender_action", "metadata.reason"],
    ];
    for (const [metadata, type, path] of refused) {
      const response = await append(metadata, type);
      expect(response.status, JSON.stringify(metadata)).toBe(400);
      expect(JSON.stringify(response.body), JSON.stringify(metadata)).toContain(path.split(".").pop()!);
    }
    expect(Number((await sql`select count(*) from public.audit_events where organization_id = ${org}`)[0].count)).toBe(before + 2);
  });
});

describe("orders to provide information recorded through authority-requests", () => {
  it("count in the report under the Member State and category the request names; a bad one is refused", async () => {
    const [{ today }] = await sql`select (now() at time zone 'UTC')::date::text as today`;
    const request = (extra: Record<string, unknown>) => callFunction("authority-requests", {
      token: serviceToken(),
      body: {
        organization_id: org, authority: "Arcom", legal_basis: "DSA Art. 10", response_deadline: "2099-01-01T00:00:00Z",
        scope: { start: "2014-01-01T00:00:00Z", end: "2014-02-01T00:00:00Z" }, ...extra,
      },
    });
    const provideInformation = () => {
      const run = evident(["transparency-report", "--org", org, "--from", today, "--to", today], env());
      expect(run.code, run.stderr).toBe(0);
      return JSON.parse(run.stdout);
    };
    const before = provideInformation().totals.authority_orders_to_provide_information;
    expect((await request({ member_state: "FR", category: "STATEMENT_CATEGORY_SCAMS_AND_FRAUD", keyword: "KEYWORD_PHISHING" })).status).toBe(201);
    expect((await request({ member_state: "XX" })).status).toBe(400);
    expect((await request({ category: "STATEMENT_CATEGORY_VIOLENCE", keyword: "KEYWORD_PHISHING" })).status).toBe(400);

    const report = provideInformation();
    expect(report.totals.authority_orders_to_provide_information).toBe(before + 1);
    const orders = report.parts.find((p: { part: number }) => p.part === 3).rows as string[][];
    const column = orders[0].indexOf("Number of orders to provide information");
    expect(orders.find((r) => r[3] === "KEYWORD_PHISHING" && r[5] === "FR")?.[column]).toBe("1");
    expect(orders.find((r) => r[3] === "TOTAL" && r[5] === "TOTAL")?.[column]).toBe(String(before + 1));
  });
});
