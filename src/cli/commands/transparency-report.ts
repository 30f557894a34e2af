// evident transparency-report --org <uuid> --from YYYY-MM-DD --to YYYY-MM-DD [--format json|csv]
//   [--out FILE|DIR/] [--part N] [--final] [--service NAME] [--provider NAME]
// The DSA harmonised transparency report (Implementing Regulation (EU) 2024/2835) of one
// organisation, computed from the trail (sealed months from their kept facts, others from their
// rows) and signed with AUDIT_EXPORT_SIGNING_KEY. JSON is the signed report; CSV is the template's
// parts, each as the Commission's CSV file of the same name: --out DIR/ writes every part there,
// with report.json beside them; a file or stdout gets one part (--part) or all of them one after
// another. docs/compliance-reports.md#the-dsa-harmonised-transparency-report.
// Exit 0: written; 1: --final refused (months not sealed, or tampered, or the period not over);
// 2: could not run.
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { csvDocument } from "../../../supabase/functions/_shared/csv.ts";
import { buildTransparencyReport, reportPeriod, type TransparencyReport } from "../../../supabase/functions/_shared/dsa/report.ts";
import { ApiError } from "../../../supabase/functions/_shared/errors.ts";
import { ExportSigner } from "../../../supabase/functions/_shared/export-key.ts";
import { uuid } from "../../../supabase/functions/_shared/schemas/values.ts";
import { cliDatabase } from "../database.ts";

interface Values {
  org?: string;
  from?: string;
  to?: string;
  format: "json" | "csv";
  out?: string;
  part?: string;
  final?: boolean;
  service?: string;
  provider?: string;
  json?: boolean;
}

export async function transparencyReport(values: Values): Promise<number> {
  if (!values.org || !uuid.safeParse(values.org).success) throw new Error("--org <uuid> is required: the organisation to report on");
  const period = reportPeriod.safeParse({ from: values.from, to: values.to });
  if (!period.success) {
    throw new Error(`--from and --to are inclusive UTC dates, YYYY-MM-DD, from not after to: ${period.error.issues.map((i) => `${i.path.join(".") || "period"}: ${i.message}`).join("; ")}`);
  }
  const part = values.part === undefined ? undefined : Number(values.part);
  if (part !== undefined && !(Number.isInteger(part) && part >= 1 && part <= 11)) throw new Error("--part is a template part, 1 to 11");
  const signer = ExportSigner.fromEnv();

  const sql = cliDatabase();
  let report: TransparencyReport;
  try {
    const [organization] = await sql`select 1 from public.organizations where id = ${values.org}::uuid`;
    if (!organization) throw new Error(`organization ${values.org} does not exist`);
    report = await buildTransparencyReport(sql, {
      organizationId: values.org, ...period.data, final: values.final, service: values.service, provider: values.provider,
    }, signer);
  } catch (error) {
    if (error instanceof ApiError && error.code === "not_final") {
      console.error(`evident: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await sql.end();
  }

  const summary = `${report.status} DSA transparency report of ${report.organization_id}, ${report.reporting_period}: ` +
    `${report.totals.events_counted} events counted, ${report.sealed_months.length} sealed month(s), ${report.unsealed_events} event(s) in months not sealed yet`;
  if (values.format === "json") {
    write(values.out, JSON.stringify(report, null, 2) + "\n");
  } else if (values.out && isDirectory(values.out)) {
    mkdirSync(values.out, { recursive: true });
    for (const p of report.parts) writeFileSync(path.join(values.out, p.file), csvDocument(p.rows));
    writeFileSync(path.join(values.out, "report.json"), JSON.stringify(report, null, 2) + "\n");
  } else {
    const parts = report.parts.filter((p) => part === undefined || p.part === part);
    write(values.out, parts.map((p) => csvDocument(p.rows)).join("\r\n"));
  }
  if (values.out && values.json) {
    const { totals, status, sealed_months, unsealed_months, unsealed_events, signing_key_id } = report;
    console.log(JSON.stringify({ out: values.out, format: values.format, status, totals, sealed_months, unsealed_months, unsealed_events, signing_key_id }, null, 2));
  } else if (values.out) console.error(summary);
  return 0;
}

function isDirectory(out: string): boolean {
  return out.endsWith("/") || (existsSync(out) && statSync(out).isDirectory());
}

function write(out: string | undefined, text: string) {
  if (out) writeFileSync(out, text);
  else process.stdout.write(text);
}
