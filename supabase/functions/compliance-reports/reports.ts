// The SOC 2 report (QWED guide, GET /admin/compliance/report/soc2/{org_id}) and the quarterly
// self-assessment (GrowBro guide, QuarterlyAuditReport). Every status comes from a check in
// checks.ts; the report is FAIL as soon as one control fails, and says which and why.
import type { Keyring } from "../_shared/keyring.ts";
import type { Queryable } from "../_shared/trail.ts";
import {
  accessFigures,
  accessReviewControl,
  backupDrill,
  backupVerification,
  checkpointHolds,
  type Control,
  leastPrivilege,
  manifestFreshness,
  type Period,
  retentionControl,
  retentionFigures,
  signingKeyAge,
  type Status,
  trailIntegrity,
  wormEnforcement,
} from "./checks.ts";

export interface Soc2Report {
  report_type: string;
  organization_id: string;
  generated_at: string;
  period: Period;
  overall_status: Status;
  compliance_status: {
    audit_trail_complete: Status;
    access_logs_retained: Status;
    retention_enforced: Status;
    signing_keys_rotated: Status;
    least_privilege: Status;
    worm_enforced: Status;
    backups_verified: Status;
  };
  security_metrics: Record<string, number>;
  controls: Control[];
  failed_controls: Array<{ id: string; reason: string }>;
}

async function clock(sql: Queryable): Promise<string> {
  const [row] = await sql`select evident.canonical_timestamp(now()) as now`;
  return row.now;
}

export async function soc2Report(sql: Queryable, organizationId: string, keyring: Keyring, period: Period | undefined): Promise<Soc2Report> {
  const generatedAt = await clock(sql);
  const [defaults] = await sql`
    select evident.canonical_timestamp(now() - interval '90 days') as start, evident.canonical_timestamp(now()) as end`;
  const reportPeriod = { start: period?.start ?? defaults.start, end: period?.end ?? defaults.end };

  // Integrity is checked over the whole trail: a report for a period is only as good as the chain
  // that leads to it.
  const integrity = await trailIntegrity(sql, organizationId, keyring);
  const manifests = await manifestFreshness(sql, organizationId);
  const retention = retentionControl(await retentionFigures(sql, organizationId));
  const keys = await signingKeyAge(sql, organizationId, keyring);
  const access = await accessFigures(sql, organizationId, reportPeriod);
  const review = accessReviewControl(access, reportPeriod);
  const privileges = await leastPrivilege(sql);
  const worm = await wormEnforcement(sql);
  const backups = await backupVerification(sql, organizationId);
  const controls = [integrity, manifests, retention, keys, review, privileges, worm, backups];

  const [metrics] = await sql`
    select count(*)::bigint as events_in_period,
      count(*) filter (where event_type = 'audit_verification')::bigint as verification_runs,
      count(*) filter (where event_type = 'audit_verification' and metadata ->> 'valid' = 'false')::bigint as verification_runs_failed,
      count(*) filter (where event_type = 'compliance_audit_completed')::bigint as compliance_audits,
      count(*) filter (where event_type = 'key_rotated')::bigint as key_rotations
    from public.audit_events
    where organization_id = ${organizationId}::uuid
      and created_at >= ${reportPeriod.start}::timestamptz and created_at < ${reportPeriod.end}::timestamptz`;

  const pass = (...c: Control[]): Status => (c.every((x) => x.status === "PASS") ? "PASS" : "FAIL");
  return {
    report_type: "SOC 2 Type II - Security Controls",
    organization_id: organizationId,
    generated_at: generatedAt,
    period: reportPeriod,
    overall_status: pass(...controls),
    compliance_status: {
      // Complete: every entry verifies, the trail ends at its head, and sealed months match.
      audit_trail_complete: pass(integrity, manifests),
      // Access records live in the same chain: they are retained if the chain is intact and every
      // read in the period was recorded with its purpose.
      access_logs_retained: pass(integrity, review),
      retention_enforced: retention.status,
      signing_keys_rotated: keys.status,
      least_privilege: privileges.status,
      worm_enforced: worm.status,
      backups_verified: backups.status,
    },
    security_metrics: {
      total_audit_events: Number(integrity.evidence.checked),
      events_in_period: Number(metrics.events_in_period),
      audit_accesses: access.accesses,
      refused_requests: access.refused_requests,
      pending_access_records: access.pending_access_records,
      privilege_violations: (privileges.evidence.violations as unknown[]).length,
      worm_gaps: (worm.evidence.gaps as unknown[]).length,
      verification_runs: Number(metrics.verification_runs),
      verification_runs_failed: Number(metrics.verification_runs_failed),
      compliance_audits: Number(metrics.compliance_audits),
      key_rotations: Number(metrics.key_rotations),
      sealed_months: (manifests.evidence.sealed_months as unknown[]).length,
      active_key_age_days: Number(keys.evidence.age_days ?? 0),
    },
    controls,
    failed_controls: controls.filter((c) => c.status === "FAIL").map((c) => ({ id: c.id, reason: c.reason })),
  };
}

export interface QuarterBounds {
  quarter: string;
  start: string;
  end: string;
  nextStart: string;
  months: Array<{ month: string; start: string; end: string }>;
}

/** "2026-Q4" to its UTC bounds and months; undefined if malformed. */
export function quarterBounds(quarter: string): QuarterBounds | undefined {
  const match = /^(\d{4})-Q([1-4])$/.exec(quarter);
  // Date.UTC reads years 0-99 as 1900-1999; nothing Evident holds predates 2000 anyway.
  if (!match || Number(match[1]) < 2000) return undefined;
  const year = Number(match[1]);
  const first = (Number(match[2]) - 1) * 3;
  const iso = (y: number, m: number) => `${new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 19)}.000000Z`;
  return {
    quarter,
    start: iso(year, first),
    end: iso(year, first + 3),
    nextStart: iso(year, first + 3),
    months: [0, 1, 2].map((i) => ({
      month: new Date(Date.UTC(year, first + i, 1)).toISOString().slice(0, 7),
      start: iso(year, first + i),
      end: iso(year, first + i + 1),
    })),
  };
}

export function currentQuarter(now = new Date()): string {
  return `${now.getUTCFullYear()}-Q${Math.floor(now.getUTCMonth() / 3) + 1}`;
}

export interface QuarterlyAuditReport {
  quarter: string;
  organization_id: string;
  audit_date: string;
  findings: {
    integrity_status: Status;
    retention_compliance: Status;
    access_control: Status;
    backup_integrity: Status;
  };
  reasons: Record<string, string>;
  metrics: {
    total_audit_events: number;
    integrity_verifications_passed: number;
    integrity_verifications_failed: number;
    expired_events_not_deleted: number;
    pii_events_not_anonymized: number;
    unauthorized_access_attempts: number;
  };
  recommendations: string[];
  next_audit_date: string;
}

export async function quarterlyAssessment(
  sql: Queryable,
  organizationId: string,
  keyring: Keyring,
  bounds: QuarterBounds,
): Promise<QuarterlyAuditReport> {
  const auditDate = await clock(sql);

  // 1. Integrity: each month of the quarter verified on its own, and the whole chain against its
  //    head (a deleted tail shows only there).
  const checks: Array<{ scope: string; status: Status; reason: string }> = [];
  for (const month of bounds.months) {
    if (month.start > auditDate) continue;
    const c = await trailIntegrity(sql, organizationId, keyring, { start: month.start, end: month.end });
    checks.push({ scope: month.month, status: c.status, reason: c.reason });
  }
  const whole = await trailIntegrity(sql, organizationId, keyring);
  checks.push({ scope: "whole chain and head", status: whole.status, reason: whole.reason });
  const integrityFailed = checks.filter((c) => c.status === "FAIL");

  // 2. Retention (the seed: PASS only if nothing expired is still held).
  const retention = await retentionFigures(sql, organizationId);

  // 3. Access control: no write privilege beyond the design, the WORM guards in place, every read
  //    recorded with a purpose and a verified permission; refused requests are counted.
  const period = { start: bounds.start, end: bounds.end };
  const access = await accessFigures(sql, organizationId, period);
  const review = accessReviewControl(access, period);
  const privileges = await leastPrivilege(sql);
  const worm = await wormEnforcement(sql);
  const accessControls = [review, privileges, worm];

  // 4. Backup integrity: sealed months (signed, published manifests) match the trail and are not
  //    tampered or overdue; the newest signed checkpoint still names an entry the trail holds.
  const manifests = await manifestFreshness(sql, organizationId);
  const checkpoint = await checkpointHolds(sql, organizationId);
  const drill = await backupDrill(sql, organizationId);

  const findings = {
    integrity_status: (integrityFailed.length === 0 ? "PASS" : "FAIL") as Status,
    retention_compliance: (retention.expired_events - retention.held_expired_events === 0 ? "PASS" : "FAIL") as Status,
    access_control: (accessControls.every((c) => c.status === "PASS") ? "PASS" : "FAIL") as Status,
    backup_integrity: (manifests.status === "PASS" && checkpoint.ok && drill.ok ? "PASS" : "FAIL") as Status,
  };
  const reasons = {
    integrity_status: integrityFailed.length === 0
      ? `${checks.length} verifications passed (${checks.map((c) => c.scope).join(", ")})`
      : integrityFailed.map((c) => `${c.scope}: ${c.reason}`).join("; "),
    retention_compliance: (retention.expired_events - retention.held_expired_events === 0
      ? `no event held past its retention_until (${retention.total_events} events)`
      : `${retention.expired_events - retention.held_expired_events} events are past their retention_until and still held`) +
      (retention.held_expired_events > 0 ? `; ${retention.held_expired_events} expired events are kept under ${retention.active_legal_holds.length} active legal hold(s)` : ""),
    access_control: accessControls.filter((c) => c.status === "FAIL").map((c) => c.reason).join("; ") ||
      accessControls.map((c) => c.reason).join("; "),
    backup_integrity: [manifests.status === "FAIL" ? manifests.reason : "", checkpoint.ok ? "" : checkpoint.reason, drill.ok ? "" : drill.reason].filter(Boolean).join("; ") ||
      `${manifests.reason}; ${checkpoint.reason}; ${drill.reason}`,
  };

  const recommendations: string[] = [];
  if (findings.integrity_status === "FAIL") {
    recommendations.push(`Investigate the integrity failure now (${integrityFailed[0].reason}); run \`npx evident verify --org ${organizationId}\` and compare with the archived checkpoints and manifests. Appends stay refused while the chain head disagrees with the trail.`);
  }
  if (retention.expired_events > 0) recommendations.push(`Delete or archive the ${retention.expired_events} events past their retention period (retention enforcement, issue 8).`);
  if (retention.pii_requiring_anonymization > 0) recommendations.push(`Anonymise the ${retention.pii_requiring_anonymization} PII-tagged events older than 30 days.`);
  if (privileges.status === "FAIL") recommendations.push(`Revoke the write privileges on audit data: ${privileges.reason}.`);
  if (worm.status === "FAIL") recommendations.push(`Put the WORM guards back in place, then verify the whole trail: ${worm.reason}.`);
  if (review.status === "FAIL") recommendations.push(`Review the reads recorded without a purpose or verified permission: ${review.reason}.`);
  if (access.refused_requests > 0) recommendations.push(`Review the ${access.refused_requests} refused requests this quarter and who made them.`);
  if (manifests.status === "FAIL") recommendations.push(`Seal and verify finished months: ${manifests.reason}.`);
  if (!drill.ok) recommendations.push(`Restore the failed months from an intact copy and run the drill again: ${drill.reason} (docs/runbooks/rehydration.md).`);
  if (!checkpoint.ok) recommendations.push(`The newest checkpoint no longer matches the trail: ${checkpoint.reason}; compare with the archive.`);
  if (recommendations.length === 0) recommendations.push("No findings. Keep running the daily verification, the monthly seal and this quarterly self-assessment.");

  return {
    quarter: bounds.quarter,
    organization_id: organizationId,
    audit_date: auditDate,
    findings,
    reasons,
    metrics: {
      total_audit_events: retention.total_events,
      integrity_verifications_passed: checks.length - integrityFailed.length,
      integrity_verifications_failed: integrityFailed.length,
      expired_events_not_deleted: retention.expired_events,
      pii_events_not_anonymized: retention.pii_requiring_anonymization,
      unauthorized_access_attempts: access.refused_requests,
    },
    recommendations,
    next_audit_date: bounds.nextStart,
  };
}
