// Routes, input rules and authorisation of compliance-reports. Every request names a purpose and
// is recorded as an audit_access event in the organisation's chain before anything is returned;
// a member refused for lack of a role leaves an access_refused event instead (a non-member's
// refusal is recorded nowhere).
import { z } from "zod";
import { appendEvents } from "../_shared/append.ts";
import { recordAccess } from "../_shared/audited-read.ts";
import type { Caller } from "../_shared/auth.ts";
import { csvDocument } from "../_shared/csv.ts";
import { asWriter, type Sql } from "../_shared/db.ts";
import { buildTransparencyReport, reportPeriod } from "../_shared/dsa/report.ts";
import { ApiError } from "../_shared/errors.ts";
import { json } from "../_shared/http.ts";
import type { ExportSigner } from "../_shared/export-key.ts";
import type { Keyring } from "../_shared/keyring.ts";
import { readerRoles, reportReaderRoles, requireOrganizationRole } from "../_shared/membership.ts";
import { eventInput } from "../_shared/schemas/events.ts";
import { describeIssues, text, timestamp, uuid } from "../_shared/schemas/values.ts";
import { accessExport, evidenceCsv } from "./exports.ts";
import { currentQuarter, quarterBounds, quarterlyAssessment, soc2Report } from "./reports.ts";

export interface Context {
  sql: Sql;
  keyring: Keyring;
  signer: ExportSigner;
  caller: Caller;
}

const purpose = text(3, 500);
const period = { start: timestamp.optional(), end: timestamp.optional() };

const routes = {
  "report/soc2": z.strictObject({ purpose, ...period }),
  "report/quarterly": z.strictObject({ purpose, quarter: z.string().regex(/^\d{4}-Q[1-4]$/, "quarter is YYYY-Qn, e.g. 2026-Q4").optional() }),
  "report/transparency": z.strictObject({
    purpose,
    from: z.string(),
    to: z.string(),
    format: z.enum(["json", "csv"]).optional(),
    part: z.string().regex(/^(?:[1-9]|1[01])$/, "part is a template part, 1 to 11").optional(),
    final: z.enum(["true", "false"]).optional(),
    service: text(1, 200).optional(),
    provider: text(1, 200).optional(),
  }),
  "export/csv": z.strictObject({ organization_id: uuid, purpose, ...period }),
  "export/gdpr": z.strictObject({ organization_id: uuid, purpose, subject: text(1, 256).optional() }),
} as const;
type Route = keyof typeof routes;

const usage = "use GET report/soc2/{organization_id}, report/quarterly/{organization_id}, report/transparency/{organization_id}, export/csv?organization_id=… or export/gdpr?organization_id=…, each with a purpose";

/** The path after the function's name: /functions/v1/compliance-reports/report/soc2/<id> (locally) or /compliance-reports/… (hosted). */
function routeOf(url: URL): { route: Route; organizationId?: string } {
  const parts = url.pathname.split("/").filter(Boolean);
  const at = parts.indexOf("compliance-reports");
  const rest = at >= 0 ? parts.slice(at + 1) : parts;
  const name = rest.slice(0, 2).join("/");
  if (!(name in routes)) throw new ApiError(404, "not_found", `no such report: /${rest.join("/")}; ${usage}`);
  const route = name as Route;
  if (route.startsWith("report/")) {
    if (rest.length !== 3) throw new ApiError(400, "invalid_request", `${route} takes the organization id in the path: /${route}/{organization_id}`);
    const id = uuid.safeParse(rest[2]);
    if (!id.success) throw new ApiError(400, "invalid_request", `${route}/{organization_id}: expected a UUID`);
    return { route, organizationId: id.data };
  }
  if (rest.length !== 2) throw new ApiError(404, "not_found", `no such export: /${rest.join("/")}; ${usage}`);
  return { route };
}

function parseQuery<R extends Route>(route: R, url: URL): z.infer<(typeof routes)[R]> {
  const params = [...url.searchParams.keys()];
  const repeated = params.find((key, i) => params.indexOf(key) !== i);
  if (repeated) throw new ApiError(400, "invalid_request", `query parameter ${repeated} is given more than once`);
  const parsed = routes[route].safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) {
    throw new ApiError(400, "invalid_request", `invalid query for ${route}: ${describeIssues(parsed.error).map((i) => `${i.path}: ${i.message}`).join("; ")}`, {
      issues: describeIssues(parsed.error),
    });
  }
  return parsed.data as z.infer<(typeof routes)[R]>;
}

export async function reportsHandler(request: Request, context: Context): Promise<Response> {
  const url = new URL(request.url);
  const { route, organizationId: fromPath } = routeOf(url);
  const query = parseQuery(route, url) as Record<string, string | undefined>;
  const organizationId = fromPath ?? (query.organization_id as string);
  if (query.start && query.end && query.start >= query.end) {
    throw new ApiError(400, "invalid_request", "start must lie before end");
  }
  const recorded = { report: route, ...Object.fromEntries(Object.entries(query).filter(([k, v]) => k !== "purpose" && k !== "organization_id" && v !== undefined)) };
  try {
    switch (route) {
      case "report/soc2":
        return await soc2(context, organizationId, query, recorded);
      case "report/quarterly":
        return await quarterly(context, organizationId, query, recorded);
      case "report/transparency":
        return await transparency(context, organizationId, query, recorded);
      case "export/csv":
        return await csv(context, organizationId, query, recorded);
      case "export/gdpr":
        return await gdpr(context, organizationId, query, recorded);
    }
  } catch (error) {
    if (error instanceof ApiError && error.status === 403 && context.caller.kind === "user") {
      await recordRefusal(context, organizationId, route, query.purpose as string, error.message);
    }
    throw error;
  }
}

async function soc2(context: Context, organizationId: string, query: Record<string, string | undefined>, recorded: Record<string, unknown>) {
  const { sql, keyring, caller } = context;
  const report = await asWriter(sql, async (tx) => {
    await requireOrganizationRole(tx, caller, organizationId, readerRoles);
    const period = query.start || query.end
      ? { start: query.start ?? "1970-01-01T00:00:00.000000Z", end: query.end ?? (await tx`select evident.canonical_timestamp(now()) as now`)[0].now }
      : undefined;
    const report = await soc2Report(tx, organizationId, keyring, period);
    const access = await recordAccess(tx, caller, organizationId, query.purpose as string,
      { ...recorded, overall_status: report.overall_status }, keyring);
    return { ...report, access_event: access };
  });
  return json(200, report);
}

async function quarterly(context: Context, organizationId: string, query: Record<string, string | undefined>, recorded: Record<string, unknown>) {
  const { sql, keyring, caller } = context;
  const bounds = quarterBounds(query.quarter ?? currentQuarter());
  if (!bounds) throw new ApiError(400, "invalid_request", "quarter is YYYY-Qn, e.g. 2026-Q4");
  const report = await asWriter(sql, async (tx) => {
    await requireOrganizationRole(tx, caller, organizationId, readerRoles);
    const [{ future }] = await tx`select ${bounds.start}::timestamptz > now() as future`;
    if (future) throw new ApiError(400, "invalid_request", `${bounds.quarter} has not begun`);
    const report = await quarterlyAssessment(tx, organizationId, keyring, bounds);
    const access = await recordAccess(tx, caller, organizationId, query.purpose as string, { ...recorded, quarter: bounds.quarter }, keyring);
    const completed = eventInput.parse({
      event_type: "compliance_audit_completed",
      actor_id: caller.actorId,
      actor_type: caller.kind === "service" ? "service" : "user",
      target_id: organizationId,
      target_type: "audit_trail",
      action: "quarterly_audit",
      // Reasons name every failing month or entry; bounded so the event stays under the metadata limit.
      metadata: {
        quarter: report.quarter, audit_date: report.audit_date, findings: report.findings,
        reasons: Object.fromEntries(Object.entries(report.reasons).map(([k, v]) => [k, clip(v, 4000)])),
        metrics: report.metrics, recommendations: report.recommendations.slice(0, 20).map((r) => clip(r, 2000)),
        next_audit_date: report.next_audit_date, purpose: query.purpose,
      },
    });
    const [completion] = await appendEvents(tx, organizationId, [completed], keyring);
    return { ...report, access_event: access, completion_event: completion };
  });
  return json(200, report);
}

/**
 * The DSA harmonised transparency report (docs/compliance-reports.md#the-dsa-harmonised-transparency-report):
 * the signed report as JSON, or the template's CSV parts. Computed and recorded in one transaction.
 */
async function transparency(context: Context, organizationId: string, query: Record<string, string | undefined>, recorded: Record<string, unknown>) {
  const { sql, keyring, caller, signer } = context;
  const period = reportPeriod.safeParse({ from: query.from, to: query.to });
  if (!period.success) {
    throw new ApiError(400, "invalid_request", `from and to are inclusive UTC dates, YYYY-MM-DD, from not after to: ${describeIssues(period.error).map((i) => `${i.path || "period"}: ${i.message}`).join("; ")}`, {
      issues: describeIssues(period.error),
    });
  }
  const { report, access } = await asWriter(sql, async (tx) => {
    await requireOrganizationRole(tx, caller, organizationId, reportReaderRoles);
    const report = await buildTransparencyReport(tx, {
      organizationId, ...period.data, final: query.final === "true", service: query.service, provider: query.provider,
    }, signer);
    const access = await recordAccess(tx, caller, organizationId, query.purpose as string, recorded, keyring);
    return { report, access };
  });
  const headers = { "x-evident-access-event-seq": String(access.seq) };
  if (query.format !== "csv") return json(200, report, headers);
  const parts = report.parts.filter((p) => query.part === undefined || p.part === Number(query.part));
  return new Response(parts.map((p) => csvDocument(p.rows)).join("\r\n"), {
    status: 200,
    headers: {
      ...headers,
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="${parts.length === 1 ? parts[0].file : `dsa-transparency-report-${organizationId}.csv`}"`,
    },
  });
}

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** Authorises and records the access in its own transaction, committed before any row leaves. */
async function authorizeAndRecord(context: Context, organizationId: string, purpose: string, recorded: Record<string, unknown>) {
  const { sql, keyring, caller } = context;
  return await asWriter(sql, async (tx) => {
    await requireOrganizationRole(tx, caller, organizationId, readerRoles);
    const [{ now }] = await tx`select evident.canonical_timestamp(now()) as now`;
    const access = await recordAccess(tx, caller, organizationId, purpose, recorded, keyring);
    return { now: now as string, access };
  });
}

async function csv(context: Context, organizationId: string, query: Record<string, string | undefined>, recorded: Record<string, unknown>) {
  const { access } = await authorizeAndRecord(context, organizationId, query.purpose as string, recorded);
  const body = await evidenceCsv(context.sql, { organizationId, keyring: context.keyring, start: query.start, end: query.end });
  return new Response(body, {
    status: 200,
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="evident-evidence-${organizationId}.csv"`,
      "x-evident-access-event-seq": String(access.seq),
    },
  });
}

async function gdpr(context: Context, organizationId: string, query: Record<string, string | undefined>, recorded: Record<string, unknown>) {
  const { now, access } = await authorizeAndRecord(context, organizationId, query.purpose as string, recorded);
  const body = await accessExport(context.sql, {
    organizationId, subject: query.subject, generatedAt: now, purpose: query.purpose as string, accessEventSeq: access.seq,
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8", "x-evident-access-event-seq": String(access.seq) },
  });
}

/**
 * A signed-in user without the admin or auditor role asked for an organisation's reports: leave an
 * access_refused event in that organisation's chain, so refused requests are counted from what is
 * recorded. Nothing is recorded for an organisation that does not exist, and the caller gets the
 * same 403 either way.
 */
async function recordRefusal(context: Context, organizationId: string, route: string, purpose: string, reason: string) {
  try {
    await asWriter(context.sql, async (tx) => {
      // Only a member's refusal goes into the organisation's trail: anyone else could otherwise
      // write into any organisation's permanent record just by being refused.
      if (context.caller.kind !== "user") return;
      const [member] = await tx`
        select 1 from public.organization_members where organization_id = ${organizationId}::uuid and user_id = ${context.caller.userId}::uuid`;
      if (!member) return;
      const event = eventInput.parse({
        event_type: "access_refused",
        actor_id: context.caller.actorId,
        actor_type: "user",
        target_id: organizationId,
        target_type: "audit_trail",
        action: "refused",
        metadata: { endpoint: `compliance-reports/${route}`, purpose, reason, required_roles: readerRoles },
      });
      await appendEvents(tx, organizationId, [event], context.keyring);
    });
  } catch (error) {
    // The refusal stands whether or not it could be recorded (e.g. a chain that refuses appends).
    console.error("could not record a refused request:", error instanceof Error ? error.message : error);
  }
}
