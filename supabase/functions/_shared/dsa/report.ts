// The DSA harmonised transparency report of one organisation for a period: the quantitative
// template of Implementing Regulation (EU) 2024/2835 filled from the trail, the months every figure
// comes from with their manifests' checksums, and an Ed25519 signature with the export key, so the
// report verifies offline (evident verify-report). docs/compliance-reports.md#the-dsa-harmonised-transparency-report.
import { z } from "zod";
import { sha256Hex } from "../crypto.ts";
import { csvDocument } from "../csv.ts";
import { ApiError } from "../errors.ts";
import type { ExportSigner } from "../export-key.ts";
import { canonicalBytes } from "../manifest.ts";
import type { Queryable } from "../trail.ts";
import { automationValues, type Cell, complaintValues, decisionShape, type Fact, type Figures, restrictionColumns, tallyFacts } from "./figures.ts";
import * as template from "./template.ts";

export const reportFormat = "evident.dsa-transparency-report";
export const reportFormatVersion = 1;

export interface ReportOptions {
  organizationId: string;
  /** Inclusive UTC dates (YYYY-MM-DD) of the events' own timestamp. */
  from: string;
  to: string;
  /** Refuse unless every counted event lies in a sealed, untampered month of a period that has ended. */
  final?: boolean;
  /** The template's "Service" column and the provider's name (part 1); left blank when not given. */
  service?: string;
  provider?: string;
}

export interface SealedMonth {
  name: string;
  month: string;
  checksum: string;
  verification_status: string;
  events: number;
}

export interface TemplatePartRows {
  part: number;
  file: string;
  rows: string[][];
}

export interface TransparencyReport {
  report: typeof reportFormat;
  report_version: number;
  template: string;
  organization_id: string;
  service: string;
  provider: string;
  period: { from: string; to: string };
  reporting_period: string;
  status: "final" | "provisional";
  generated_at: string;
  totals: Record<string, number>;
  sealed_months: SealedMonth[];
  unsealed_months: Array<{ name: string; month: string; events: number }>;
  unsealed_events: number;
  unplaced: Record<string, number>;
  operator_inputs: string[];
  parts: TemplatePartRows[];
  csv_sha256: Record<string, string>;
  signing_key_id: string;
  signature?: string;
}

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date, YYYY-MM-DD").refine((d) => {
  const parsed = new Date(`${d}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === d;
}, "not a calendar date");
export const reportPeriod = z.object({ from: day, to: day }).refine((p) => p.from <= p.to, { message: "from must not lie after to", path: ["to"] });

/** What the trail cannot know: the cells and parts left blank for the operator to fill in before publishing. */
export const operatorInputs = [
  "Part 1: the provider's name (--provider) and the publication dates",
  "Parts 3-6: the \"Description of the sub-category \"Other\"\" and every \"Contextual information\" column",
  "Part 8: accuracy, precision and recall of the automated means, and the per-language rows (VLOPs)",
  "Part 9: human resources (VLOPs)",
  "Part 10: average monthly active recipients (VLOPs and VLOSEs)",
  "Part 11: the qualitative template",
];

/** The facts of the period and the months they lie in, as transparency.dsa_report_facts gives them. */
async function readFacts(sql: Queryable, options: ReportOptions) {
  const rows = await sql`
    select partition_name, sealed, kind, category, keyword, scope, dimension, seconds, events, items
    from transparency.dsa_report_facts(${options.organizationId}::uuid, ${options.from}::date, ${options.to}::date)`;
  const months = await sql`
    select partition_name, checksum, verification_status, to_char(month_start at time zone 'UTC', 'YYYY-MM') as month
    from transparency.sealed_months
    where partition_name = any(${[...new Set(rows.filter((r) => r.sealed).map((r) => r.partition_name as string))]}::text[])
       or (month_start < (${options.to}::date + 1)::text::timestamptz and month_end > ${options.from}::date::text::timestamptz)
    order by month_start`;
  const [{ now, today }] = await sql`
    select evident.canonical_timestamp(now()) as now, (now() at time zone 'UTC')::date::text as today`;
  return { rows, months, now: now as string, today: today as string };
}

export async function buildTransparencyReport(sql: Queryable, options: ReportOptions, signer: ExportSigner): Promise<TransparencyReport> {
  const { rows, months, now, today } = await readFacts(sql, options);
  const facts: Fact[] = rows.map((r) => ({
    kind: r.kind, category: r.category, keyword: r.keyword, scope: r.scope, dimension: r.dimension,
    seconds: r.seconds === null ? null : Number(r.seconds), events: Number(r.events), items: r.items === null ? null : Number(r.items),
  }));
  const eventsIn = new Map<string, number>();
  for (const r of rows) eventsIn.set(r.partition_name, (eventsIn.get(r.partition_name) ?? 0) + Number(r.events));
  const monthOf = (partition: string) => partition.replace(/^audit_events_(\d{4})_(\d{2})$/, "$1-$2");
  const sealedMonths: SealedMonth[] = months.map((m) => ({
    name: m.partition_name, month: m.month, checksum: m.checksum, verification_status: m.verification_status, events: eventsIn.get(m.partition_name) ?? 0,
  }));
  const unsealedMonths = [...new Set(rows.filter((r) => !r.sealed).map((r) => r.partition_name as string))].sort()
    .map((name) => ({ name, month: monthOf(name), events: eventsIn.get(name) ?? 0 }));
  const unsealedEvents = unsealedMonths.reduce((n, m) => n + m.events, 0);

  if (options.final) {
    const problems: string[] = [];
    if (options.to >= today) problems.push(`the period has not ended (it ends ${options.to}, today is ${today})`);
    if (unsealedMonths.length > 0) {
      problems.push(`${unsealedEvents} counted event(s) lie in months not sealed yet: ${unsealedMonths.map((m) => `${m.month} (${m.name}: ${m.events})`).join(", ")}; seal them first (evident seal --month YYYY-MM)`);
    }
    const tampered = sealedMonths.filter((m) => m.verification_status === "tampered");
    if (tampered.length > 0) problems.push(`sealed month(s) failed their last verification: ${tampered.map((m) => m.month).join(", ")}`);
    if (problems.length > 0) throw new ApiError(409, "not_final", `the report cannot be final: ${problems.join("; ")}`, { unsealed_months: unsealedMonths });
  }

  const figures = tallyFacts(facts);
  const period = `${options.from}/${options.to}`;
  const parts = renderParts(figures, { service: options.service ?? "", provider: options.provider ?? "", period, from: options.from, to: options.to });
  const sum = (kind: string, where: (f: Fact) => boolean = () => true) =>
    facts.filter((f) => f.kind === kind && where(f)).reduce((n, f) => n + f.events, 0);
  const outcome = (f: Fact) => f.dimension.split(":")[1];
  const decision = (f: Fact) => decisionShape(f.dimension);
  const report: TransparencyReport = {
    report: reportFormat,
    report_version: reportFormatVersion,
    template: "Commission Implementing Regulation (EU) 2024/2835, Annex I (quantitative template)",
    organization_id: options.organizationId,
    service: options.service ?? "",
    provider: options.provider ?? "",
    period: { from: options.from, to: options.to },
    reporting_period: period,
    status: options.final ? "final" : "provisional",
    generated_at: now,
    totals: {
      events_counted: facts.reduce((n, f) => n + f.events, 0),
      authority_orders_received: sum("order"),
      authority_orders_to_act: sum("order", (f) => f.dimension === "act_against_illegal_content"),
      authority_orders_to_provide_information: sum("order", (f) => f.dimension === "provide_information"),
      notices_received: sum("notice"),
      notices_by_trusted_flaggers: sum("notice", (f) => f.dimension === "trusted"),
      actions_on_notices: sum("decision", (f) => ["notice", "notice_tf"].includes(decision(f).source) && decision(f).restrictive),
      own_initiative_measures: sum("decision", (f) => decision(f).source === "own" && decision(f).restrictive),
      complaints_received: sum("complaint"),
      complaints_decisions_upheld: sum("complaint_decision", (f) => outcome(f) === "upheld"),
      complaints_decisions_partially_reversed: sum("complaint_decision", (f) => outcome(f) === "modified"),
      complaints_decisions_reversed: sum("complaint_decision", (f) => outcome(f) === "reversed"),
      complaints_decisions_omitted: sum("complaint_decision", (f) => outcome(f) === "omitted"),
      disputes_submitted: sum("dispute"),
      suspensions: sum("suspension"),
    },
    sealed_months: sealedMonths,
    unsealed_months: unsealedMonths,
    unsealed_events: unsealedEvents,
    unplaced: figures.unplaced,
    operator_inputs: operatorInputs,
    parts,
    csv_sha256: Object.fromEntries(parts.map((p) => [p.file, sha256Hex(csvDocument(p.rows))])),
    signing_key_id: signer.keyId,
  };
  return { ...report, signature: signer.sign(reportSigningBytes(report)) };
}

/** The bytes the signature covers: the report's RFC 8785 canonical form without the signature. */
export function reportSigningBytes(report: Omit<TransparencyReport, "signature"> & { signature?: string }): Uint8Array {
  const { signature: _signature, ...signed } = report;
  return canonicalBytes(signed);
}

interface Layout {
  service: string;
  provider: string;
  period: string;
  from: string;
  to: string;
}

const cellText = (value: number | null | undefined) => (value === null || value === undefined ? "" : String(value));
const blanks = (n: number) => Array.from({ length: n }, () => "");

/** TOTAL, then each category followed by its sub-categories: the wide parts' rows, with their keys. */
function categoryRows(codes: readonly string[]): Array<{ code: string; key: string }> {
  const rows = [{ code: "TOTAL", key: "TOTAL" }];
  for (const code of codes) {
    rows.push({ code, key: code });
    for (const k of template.categories.find((c) => c.code === code)?.keywords ?? []) rows.push({ code: k.code, key: `${code}/${k.code}` });
  }
  return rows;
}

/** Every part of the template, header first, as the CSV files hold them. */
export function renderParts(f: Figures, layout: Layout): TemplatePartRows[] {
  const { service, period } = layout;
  const part = (p: template.TemplatePart, rows: string[][]): TemplatePartRows => ({ part: p.part, file: p.file, rows: [p.header, ...rows] });
  const long = (rows: string[][], values: Array<number | null | undefined>) =>
    rows.map((r, i) => [r[0], service, period, r[3], r[4], r[5], cellText(values[i]), ...r.slice(7)]);

  const identification = template.identificationRows.map(([applicability, , indicator]) => {
    const value = indicator === "Name of the service provider" ? layout.provider
      : indicator === "Starting date of reporting period" ? layout.from
      : indicator === "Ending date of reporting period" ? layout.to : "";
    return [applicability, service, indicator, value];
  });
  const categoryNames = [template.categoriesTotalRow, ...template.categories.flatMap((c) => [
    [c.label, c.description, c.code, ""], ...c.keywords.map((k) => [k.label, k.description, k.code, ""]),
  ])];

  const orders: string[][] = [];
  for (const scope of ["TOTAL", ...f.orderScopes]) {
    for (const { code, key } of categoryRows(template.ordersCategories)) {
      const cell = (kind: string, type: string): Cell => f.orders.get(`${kind}|${type}|${scope}|${key}`);
      const act = cell("order", "act_against_illegal_content");
      orders.push([template.ordersApplicability, service, period, code, "", scope,
        String(act.events), String(act.items),
        cellText(cell("order_inform", "act_against_illegal_content").medianHours()),
        cellText(cell("order_effect", "act_against_illegal_content").medianHours()),
        String(cell("order", "provide_information").events),
        cellText(cell("order_inform", "provide_information").medianHours()),
        cellText(cell("order_effect", "provide_information").medianHours()),
        ...blanks(7)]);
    }
  }

  const notices = categoryRows(template.noticesCategories).map(({ code, key }) => {
    const cell = (what: string) => f.notices.get(`${what}|${key}`);
    return [template.noticesApplicability, service, period, code, "",
      String(cell("received").events), String(cell("received_tf").events), String(cell("received").items), String(cell("received_tf").items),
      cellText(cell("time").medianHours()), cellText(cell("time_tf").medianHours()),
      String(cell("action_law").events), String(cell("action_law_tf").events), String(cell("action_tc").events), String(cell("action_tc_tf").events),
      ...blanks(10)];
  });

  const ownInitiative = (codes: readonly string[], applicability: string, ground: "law" | "tc") =>
    categoryRows(codes).map(({ code, key }) => {
      const cells = f.ownInitiative[ground];
      return [applicability, service, period, code, "",
        String(cells.get(`measures|${key}`).events), String(cells.get(`automated|${key}`).events),
        ...restrictionColumns.map(([, action]) => String(action ? cells.get(`action:${action}|${key}`).events : 0)),
        ...blanks(16)];
    });

  const operatorOnly = (rows: string[][], valueAt: number) =>
    rows.map((r) => r.map((cell, i) => (i === 1 ? service : i === 2 ? period : i === valueAt ? "" : cell)));

  return [
    part(template.identificationPart, identification),
    part(template.categoryNamesPart, categoryNames),
    part(template.ordersPart, orders),
    part(template.noticesPart, notices),
    part(template.ownInitiativeIllegalPart, ownInitiative(template.ownInitiativeIllegalCategories, template.ownInitiativeIllegalApplicability, "law")),
    part(template.ownInitiativeTermsAndConditionsPart,
      ownInitiative(template.ownInitiativeTermsAndConditionsCategories, template.ownInitiativeTermsAndConditionsApplicability, "tc")),
    part(template.complaintsPart, long(template.complaintsRows, complaintValues(f))),
    part(template.automatedMeansPart, long(template.automatedMeansRows, automationValues(f))),
    part(template.humanResourcesPart, operatorOnly(template.humanResourcesRows, 6)),
    part(template.activeRecipientsPart, operatorOnly(template.activeRecipientsRows, 6)),
    part(template.qualitativePart, operatorOnly(template.qualitativeRows, 4)),
  ];
}
