// Offline verification of a DSA transparency report (evident verify-report): nothing but the
// report, the export public key(s) and, optionally, CSV files published from it. Checks the
// signature over the report's canonical form, that each template part's CSV hash matches its rows,
// and that each CSV file given is byte for byte the part the signed report holds.
import { z } from "zod";
import { sha256Hex } from "../crypto.ts";
import { csvDocument } from "../csv.ts";
import { publicKeysById, verifyExportSignature } from "../export-key.ts";
import { describeIssues } from "../schemas/values.ts";
import { reportFormat, reportSigningBytes, type TransparencyReport } from "./report.ts";

const signedReport = z.looseObject({
  report: z.literal(reportFormat),
  report_version: z.literal(1),
  organization_id: z.string(),
  period: z.strictObject({ from: z.string(), to: z.string() }),
  status: z.enum(["final", "provisional"]),
  sealed_months: z.array(z.looseObject({ name: z.string(), checksum: z.string() })),
  unsealed_events: z.number().int().min(0),
  parts: z.array(z.strictObject({ part: z.number().int(), file: z.string(), rows: z.array(z.array(z.string())) })),
  csv_sha256: z.record(z.string(), z.string()),
  signing_key_id: z.string(),
  signature: z.string(),
});

export interface ReportVerification {
  valid: boolean;
  problems: string[];
  organization_id?: string;
  period?: { from: string; to: string };
  status?: string;
  signed_by?: string;
}

/** csvFiles: file name → its bytes as text; each must be one of the report's parts, unchanged. */
export function verifyTransparencyReport(input: unknown, publicKeyPems: string[], csvFiles: Record<string, string> = {}): ReportVerification {
  const parsed = signedReport.safeParse(input);
  if (!parsed.success) {
    return { valid: false, problems: describeIssues(parsed.error).map((i) => `malformed report: ${i.path || "(root)"}: ${i.message}`) };
  }
  const report = parsed.data as unknown as TransparencyReport & { signature: string };
  const problems: string[] = [];
  const pem = publicKeysById(publicKeyPems).get(report.signing_key_id);
  if (!pem) problems.push(`the report is signed by key ${report.signing_key_id}, and no public key given has that id`);
  else if (!verifyExportSignature(reportSigningBytes(report), report.signature, pem)) {
    problems.push(`the signature does not verify with key ${report.signing_key_id}: the report was changed after it was signed`);
  }
  const partText = new Map(report.parts.map((p) => [p.file, csvDocument(p.rows)]));
  for (const [file, text] of partText) {
    if (report.csv_sha256[file] !== sha256Hex(text)) problems.push(`${file}: its rows do not match the signed CSV hash`);
  }
  for (const file of Object.keys(report.csv_sha256)) if (!partText.has(file)) problems.push(`${file}: hashed, but the report holds no such part`);
  for (const [name, text] of Object.entries(csvFiles)) {
    const base = name.split("/").pop()!;
    const expected = report.csv_sha256[base];
    if (!expected) problems.push(`${name}: not a part of this report (parts are named as the Commission's CSV files)`);
    else if (sha256Hex(text) !== expected) problems.push(`${name}: differs from the part the signed report holds`);
  }
  return {
    valid: problems.length === 0,
    problems,
    organization_id: report.organization_id,
    period: report.period,
    status: report.status,
    signed_by: report.signing_key_id,
  };
}
