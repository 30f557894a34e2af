// The checks behind every status a compliance report prints. Each one reads the trail (or what
// sealing and checkpoints stored about it), decides PASS or FAIL, and says why. Nothing here
// returns a status it did not compute: a check that cannot run throws, and the request fails.
import { checkpointProblem } from "../_shared/checkpoint.ts";
import { type Hold, holdColumns } from "../_shared/holds.ts";
import { hexToBytes } from "../_shared/crypto.ts";
import type { Keyring } from "../_shared/keyring.ts";
import { MerkleRoot } from "../_shared/merkle/root.ts";
import type { Queryable } from "../_shared/trail.ts";
import { verifyAgainstHead, verifyOrganization } from "../_shared/verify.ts";

export type Status = "PASS" | "FAIL";

export interface Control {
  id: string;
  name: string;
  status: Status;
  /** Why: what was checked and what was found. On FAIL, the first thing to fix. */
  reason: string;
  evidence: Record<string, unknown>;
}

/** Signing keys older than this are flagged (SOC 2 reviewers expect at least quarterly rotation). */
export const maximumKeyAgeDays = 90;
/** A sealed month not verified for this long is overdue (the GrowBro guide's freshness buckets). */
export const verificationOverdueDays = 30;

export interface Period {
  start: string;
  end: string;
}

const status = (ok: boolean): Status => (ok ? "PASS" : "FAIL");

/** Every entry's hash, signature, link and sequence, and that the trail ends at the chain head. */
export async function trailIntegrity(sql: Queryable, organizationId: string, keyring: Keyring, period?: Period): Promise<Control> {
  const { summary, head } = period
    ? { summary: await verifyOrganization(sql, organizationId, keyring, { from: period.start, to: period.end }), head: undefined }
    : await verifyAgainstHead(sql, organizationId, keyring);
  const problems: string[] = [];
  if (!summary.valid && summary.first_failure) {
    const f = summary.first_failure;
    const kinds = Object.entries(summary.failures).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(", ");
    problems.push(`entry seq ${f.seq} fails verification (${f.failures.join(", ")}${f.detail ? `: ${f.detail}` : ""}); failures: ${kinds}`);
  }
  if (head && !head.matches) {
    problems.push(`the trail ends at seq ${summary.last_seq ?? 0} but the persisted chain head is at seq ${head.head_seq}`);
  }
  return {
    id: "trail_integrity",
    name: "Audit trail integrity (hashes, HMAC signatures, chain links, sequence, chain head)",
    status: status(problems.length === 0),
    reason: problems.length === 0
      ? `${summary.checked} entries verified${head ? `; the trail ends at the chain head (seq ${head.head_seq})` : ""}`
      : problems.join("; "),
    evidence: {
      checked: summary.checked,
      failures: summary.failures,
      first_failure: summary.first_failure ?? null,
      ...(head ? { head } : {}),
      ...(period ? { period } : {}),
    },
  };
}

interface SealedMonth {
  partition_name: string;
  month_start: string;
  month_end: string;
  verification_status: string;
  last_verified_at: string | null;
  first_seq: number;
  last_seq: number;
  entry_count: number;
  root: string;
  overdue: boolean;
}

async function sealedMonths(sql: Queryable, organizationId: string): Promise<SealedMonth[]> {
  const rows = await sql`
    select s.partition_name, s.month_start::text, s.month_end::text, s.verification_status,
      evident.canonical_timestamp(s.last_verified_at) as last_verified_at,
      r.first_seq, r.last_seq, r.entry_count, r.root,
      coalesce(s.last_verified_at < now() - make_interval(days => ${verificationOverdueDays}), true) as overdue
    from transparency.sealed_roots r join transparency.sealed_months s using (partition_name)
    where r.organization_id = ${organizationId}::uuid
      -- A month retention dropped is checked in its archive (the backup drill), not in the trail.
      and not exists (select 1 from evident.retention_tombstones t where t.partition_name = s.partition_name)
    order by s.month_start`;
  return rows.map((r) => ({
    partition_name: r.partition_name, month_start: r.month_start, month_end: r.month_end,
    verification_status: r.verification_status, last_verified_at: r.last_verified_at,
    first_seq: Number(r.first_seq), last_seq: Number(r.last_seq), entry_count: Number(r.entry_count), root: r.root,
    overdue: r.overdue,
  }));
}

/** Finished months holding this organisation's entries that no manifest seals. */
async function unsealedFinishedMonths(sql: Queryable, organizationId: string): Promise<Array<{ month: string; entries: number }>> {
  const rows = await sql`
    select to_char(date_trunc('month', e.created_at at time zone 'UTC'), 'YYYY-MM') as month, count(*)::bigint as entries
    from public.audit_events e
    where e.organization_id = ${organizationId}::uuid
      and e.created_at < date_trunc('month', now() at time zone 'UTC') at time zone 'UTC'
      and not exists (
        select 1 from transparency.sealed_months s
        where e.created_at >= s.month_start and e.created_at < s.month_end)
    group by 1 order by 1`;
  return rows.map((r) => ({ month: r.month, entries: Number(r.entries) }));
}

/** Recomputes the organisation's Merkle root over its entries in a sealed month. */
async function sealedRootMatches(sql: Queryable, organizationId: string, month: SealedMonth): Promise<string | undefined> {
  const tree = new MerkleRoot();
  let first: number | undefined;
  let last: number | undefined;
  const cursor = sql`
    select seq, entry_hash from public.audit_events
    where organization_id = ${organizationId}::uuid
      and created_at >= ${month.month_start}::timestamptz and created_at < ${month.month_end}::timestamptz
    order by seq`.cursor(5000);
  for await (const rows of cursor) {
    for (const row of rows) {
      first ??= Number(row.seq);
      last = Number(row.seq);
      tree.push(hexToBytes(row.entry_hash));
    }
  }
  const root = Array.from(tree.root(), (b) => b.toString(16).padStart(2, "0")).join("");
  if (tree.size !== month.entry_count || first !== month.first_seq || last !== month.last_seq || root !== month.root) {
    return `${month.partition_name}: the trail holds ${tree.size} entries (seq ${first ?? "-"}..${last ?? "-"}) with root ${root.slice(0, 16)}…, ` +
      `the manifest sealed ${month.entry_count} (seq ${month.first_seq}..${month.last_seq}) with root ${month.root.slice(0, 16)}…`;
  }
  return undefined;
}

/**
 * Sealed months: none tampered, none overdue for verification, every finished month with this
 * organisation's entries sealed, and the entries still there hash to the root the manifest sealed.
 */
export async function manifestFreshness(sql: Queryable, organizationId: string): Promise<Control> {
  const months = await sealedMonths(sql, organizationId);
  const unsealed = await unsealedFinishedMonths(sql, organizationId);
  const problems: string[] = [];
  for (const m of months) {
    if (m.verification_status === "tampered") problems.push(`${m.partition_name} was found tampered by its last verification`);
    else if (m.overdue) problems.push(`${m.partition_name} was last verified ${m.last_verified_at ?? "never"} (more than ${verificationOverdueDays} days ago)`);
    const mismatch = await sealedRootMatches(sql, organizationId, m);
    if (mismatch) problems.push(mismatch);
  }
  for (const u of unsealed) problems.push(`${u.month} has ended and holds ${u.entries} entries, but is not sealed`);
  return {
    id: "manifest_freshness",
    name: "Sealed months: signed manifests present, verified within 30 days, matching the trail",
    status: status(problems.length === 0),
    reason: problems.length === 0
      ? (months.length === 0 ? "no finished month holds entries of this organisation, so none needs sealing yet"
        : `${months.length} sealed month(s), all verified within ${verificationOverdueDays} days and matching their sealed roots`)
      : problems.join("; "),
    evidence: {
      sealed_months: months.map(({ overdue: _o, ...m }) => m),
      unsealed_finished_months: unsealed,
    },
  };
}

export interface RetentionFigures {
  total_events: number;
  expired_events: number;
  /** Expired events an active legal hold covers: they must be kept (docs/legal-holds.md). */
  held_expired_events: number;
  pii_requiring_anonymization: number;
  active_legal_holds: Array<Pick<Hold, "id" | "scope" | "subject_id" | "target_id" | "range_start" | "range_end" | "reason" | "applied_at">>;
}

export async function retentionFigures(sql: Queryable, organizationId: string): Promise<RetentionFigures> {
  const [row] = await sql`
    select count(*)::bigint as total_events,
      count(*) filter (where retention_until < now())::bigint as expired_events,
      count(*) filter (where retention_until < now() and evident.active_holds_cover(organization_id, array[actor_id, target_id],
        array[target_id], "timestamp", "timestamp" + interval '1 microsecond'))::bigint as held_expired_events,
      -- Canonical v1 events carry any personal data inside their signed core, so it is there for
      -- good; v2 events keep it outside, and count only while a value is still held.
      count(*) filter (where pii_tagged and created_at < now() - interval '30 days' and (canonical_version = 1 or exists (
        select 1 from evident.personal_data p where p.event_id = e.id and p.erased_at is null)))::bigint as pii_requiring_anonymization
    from public.audit_events e where organization_id = ${organizationId}::uuid`;
  const holds = await sql<Hold[]>`
    select ${holdColumns(sql)} from evident.legal_holds
    where organization_id = ${organizationId}::uuid and released_at is null order by applied_at, id`;
  return {
    total_events: Number(row.total_events),
    expired_events: Number(row.expired_events),
    held_expired_events: Number(row.held_expired_events),
    pii_requiring_anonymization: Number(row.pii_requiring_anonymization),
    active_legal_holds: holds.map(({ id, scope, subject_id, target_id, range_start, range_end, reason, applied_at }) =>
      ({ id, scope, subject_id, target_id, range_start, range_end, reason, applied_at })),
  };
}

/**
 * The GrowBro retention check: nothing kept past its retention, no PII older than 30 days.
 * Expired events a legal hold covers are kept by law, not by neglect: they are reported, not failed.
 */
export function retentionControl(figures: RetentionFigures): Control {
  const problems: string[] = [];
  const unheld = figures.expired_events - figures.held_expired_events;
  if (unheld > 0) problems.push(`${unheld} events are past their retention_until and still held (REQUIRES_CLEANUP)`);
  if (figures.pii_requiring_anonymization > 0) {
    problems.push(`${figures.pii_requiring_anonymization} PII-tagged events are older than 30 days (REQUIRES_ANONYMIZATION)`);
  }
  return {
    id: "retention_compliance",
    name: "Retention: nothing held past retention_until, PII anonymised within 30 days",
    status: status(problems.length === 0),
    reason: (problems.length === 0 ? `all ${figures.total_events} events are within retention; no PII-tagged event is older than 30 days` : problems.join("; ")) +
      (figures.held_expired_events > 0 ? `; ${figures.held_expired_events} expired events are kept under ${figures.active_legal_holds.length} active legal hold(s)` : ""),
    evidence: { ...figures },
  };
}

/**
 * The active HMAC key's age in this organisation: since the key_rotated event that made it
 * active, or else since the first entry it signed. Also every key the trail names must be
 * configured, or those entries cannot be verified.
 */
export async function signingKeyAge(sql: Queryable, organizationId: string, keyring: Keyring): Promise<Control> {
  const active = keyring.activeKeyId;
  const [rotation] = await sql`
    select evident.canonical_timestamp(created_at) as since,
      floor(extract(epoch from now() - created_at) / 86400)::int as age_days
    from public.audit_events
    where organization_id = ${organizationId}::uuid and event_type = 'key_rotated'
      and metadata ->> 'new_key_id' = ${active} and coalesce(metadata ->> 'kind', 'hmac') = 'hmac'
    order by seq desc limit 1`;
  const [firstUse] = rotation ? [] : await sql`
    select evident.canonical_timestamp(created_at) as since,
      floor(extract(epoch from now() - created_at) / 86400)::int as age_days
    from public.audit_events
    where organization_id = ${organizationId}::uuid and key_id = ${active}
    order by seq limit 1`;
  const known = rotation ?? firstUse;
  const ageDays = known ? Number(known.age_days) : 0;
  const named = (await sql`select distinct key_id from public.audit_events where organization_id = ${organizationId}::uuid`)
    .map((r) => r.key_id as string);
  const missing = named.filter((k) => !keyring.has(k));
  const problems: string[] = [];
  if (ageDays > maximumKeyAgeDays) {
    problems.push(`the active signing key ${active} has signed this organisation's entries since ${known.since} (${ageDays} days; rotate keys older than ${maximumKeyAgeDays} days)`);
  }
  if (missing.length > 0) problems.push(`entries are signed with keys that are not configured, so they cannot be verified: ${missing.join(", ")}`);
  return {
    id: "signing_key_age",
    name: `Signing keys: the active key younger than ${maximumKeyAgeDays} days, every key the trail names configured`,
    status: status(problems.length === 0),
    reason: problems.length === 0
      ? (known ? `active key ${active} in use since ${known.since} (${ageDays} days)` : `active key ${active} has not signed an entry of this organisation yet`)
      : problems.join("; "),
    evidence: {
      active_key_id: active,
      active_since: known?.since ?? null,
      age_source: rotation ? "key_rotated event" : firstUse ? "first entry signed" : null,
      age_days: known ? ageDays : null,
      key_ids_in_trail: named,
      configured_key_ids: keyring.keyIds,
    },
  };
}

export interface AccessFigures {
  accesses: number;
  accesses_without_purpose: number;
  accesses_without_permission: number;
  refused_requests: number;
  /** Data API reads recorded in evident.access_log and not yet signed into the chain. */
  pending_access_records: number;
  /** Of those, the ones pending for longer than the signing schedule allows (15 minutes). */
  overdue_access_records: number;
  accessors: Array<{ actor_id: string; accesses: number }>;
  members_by_role: Record<string, number>;
}

export async function accessFigures(sql: Queryable, organizationId: string, period: Period): Promise<AccessFigures> {
  const [row] = await sql`
    select
      count(*) filter (where event_type = 'audit_access')::bigint as accesses,
      count(*) filter (where event_type = 'audit_access' and coalesce(length(metadata ->> 'purpose'), 0) < 3)::bigint as without_purpose,
      count(*) filter (where event_type = 'audit_access' and (metadata ->> 'permission_verified') is distinct from 'true')::bigint as without_permission,
      count(*) filter (where event_type = 'access_refused')::bigint as refused
    from public.audit_events
    where organization_id = ${organizationId}::uuid
      and created_at >= ${period.start}::timestamptz and created_at < ${period.end}::timestamptz
      and event_type in ('audit_access', 'access_refused')`;
  const accessors = await sql`
    select actor_id, count(*)::bigint as accesses from public.audit_events
    where organization_id = ${organizationId}::uuid and event_type = 'audit_access'
      and created_at >= ${period.start}::timestamptz and created_at < ${period.end}::timestamptz
    group by actor_id order by count(*) desc, actor_id limit 50`;
  const [pending] = await sql`
    select count(*)::bigint as pending, count(*) filter (where read_at < now() - interval '15 minutes')::bigint as overdue
    from evident.pending_access_records(${organizationId}::uuid)
    where read_at >= ${period.start}::timestamptz and read_at < ${period.end}::timestamptz`;
  const roles = await sql`
    select role, count(*)::bigint as n from public.organization_members
    where organization_id = ${organizationId}::uuid group by role order by role`;
  return {
    accesses: Number(row.accesses),
    accesses_without_purpose: Number(row.without_purpose),
    accesses_without_permission: Number(row.without_permission),
    refused_requests: Number(row.refused),
    pending_access_records: Number(pending.pending),
    overdue_access_records: Number(pending.overdue),
    accessors: accessors.map((a) => ({ actor_id: a.actor_id, accesses: Number(a.accesses) })),
    members_by_role: Object.fromEntries(roles.map((r) => [r.role, Number(r.n)])),
  };
}

/** Every recorded read of the trail in the period carries a purpose and a verified permission. */
export function accessReviewControl(figures: AccessFigures, period: Period): Control {
  const problems: string[] = [];
  if (figures.accesses_without_purpose > 0) problems.push(`${figures.accesses_without_purpose} recorded reads have no purpose`);
  if (figures.accesses_without_permission > 0) problems.push(`${figures.accesses_without_permission} recorded reads do not record a verified permission`);
  if (figures.overdue_access_records > 0) {
    problems.push(`${figures.overdue_access_records} Data API reads have waited more than 15 minutes to be signed into the chain (run the audit-maintenance checkpoint task)`);
  }
  const pending = figures.pending_access_records > 0 ? `; ${figures.pending_access_records} Data API reads recorded and not yet signed into the chain` : "";
  return {
    id: "access_review",
    name: "Access review: every read of the trail recorded with a purpose and a verified permission",
    status: status(problems.length === 0),
    reason: problems.length === 0
      ? `${figures.accesses} recorded reads between ${period.start} and ${period.end}, each with a purpose and a verified permission; ${figures.refused_requests} refused requests recorded${pending}`
      : problems.join("; "),
    evidence: { period, ...figures },
  };
}

/** No role the platform uses holds a write privilege on an audit object (evident.audit_privilege_violations). */
export async function leastPrivilege(sql: Queryable): Promise<Control> {
  const violations = await sql`select relation, grantee, privilege from evident.audit_privilege_violations()`;
  return {
    id: "least_privilege",
    name: "Least privilege: no role but the owner holds UPDATE, DELETE, TRUNCATE or an unexpected INSERT on audit data",
    status: status(violations.length === 0),
    reason: violations.length === 0
      ? "no write privilege on any audit relation beyond the writer's INSERT"
      : violations.map((v) => `${v.privilege} on ${v.relation} to ${v.grantee}`).join("; "),
    evidence: { violations: violations.map((v) => ({ relation: v.relation, grantee: v.grantee, privilege: v.privilege })) },
  };
}

/** The WORM guards are in place now: every refusal trigger, forced row security and the DDL guard (evident.worm_guard_gaps). */
export async function wormEnforcement(sql: Queryable): Promise<Control> {
  const gaps = await sql`select object, problem from evident.worm_guard_gaps()`;
  return {
    id: "worm_enforcement",
    name: "WORM enforcement in place: refusal triggers enabled on every audit relation, row security forced, the DDL guard enabled",
    status: status(gaps.length === 0),
    reason: gaps.length === 0
      ? "every audit relation refuses UPDATE, DELETE and TRUNCATE, the chain trigger and the DDL guard are enabled"
      : gaps.map((g) => `${g.object}: ${g.problem}`).join("; "),
    evidence: { gaps: gaps.map((g) => ({ object: g.object, problem: g.problem })) },
  };
}

/** The newest stored checkpoint of the organisation still names an entry the trail holds. */
export async function checkpointHolds(sql: Queryable, organizationId: string): Promise<{ ok: boolean; reason: string; checkpoint: unknown }> {
  const [cp] = await sql`
    select c.seq, c.entry_hash, evident.canonical_timestamp(c.checkpointed_at) as checkpointed_at,
      (select e.entry_hash from public.audit_events e where e.organization_id = c.organization_id and e.seq = c.seq limit 1) as trail_hash
    from evident.checkpoints c where c.organization_id = ${organizationId}::uuid
    order by c.seq desc limit 1`;
  if (!cp) return { ok: true, reason: "no checkpoint recorded yet", checkpoint: null };
  const checkpoint = { seq: Number(cp.seq), entry_hash: cp.entry_hash, checkpointed_at: cp.checkpointed_at };
  if (cp.trail_hash === null) {
    // An entry retention dropped is vouched for by its sealed month and the tombstone's boundary.
    const problem = await checkpointProblem(sql, { organization_id: organizationId, ...checkpoint });
    if (!problem) return { ok: true, reason: `the newest checkpoint (seq ${cp.seq}) lies within months retention dropped, and matches their tombstone`, checkpoint };
    return { ok: false, reason: `the checkpoint at seq ${cp.seq} names an entry the trail no longer holds`, checkpoint };
  }
  if (cp.trail_hash !== cp.entry_hash) return { ok: false, reason: `the entry at seq ${cp.seq} no longer has the hash its checkpoint signed`, checkpoint };
  return { ok: true, reason: `the newest checkpoint (seq ${cp.seq}) matches the trail`, checkpoint };
}

/**
 * The newest backup-verification drill recorded for the organisation (`evident archive verify
 * --record`, the weekly drill of docs/runbooks/rehydration.md): a drill that failed fails backup
 * integrity until a later one passes. No drill recorded yet is reported, not failed.
 */
export async function backupDrill(sql: Queryable, organizationId: string): Promise<{ ok: boolean; reason: string; drill: unknown }> {
  const [d] = await sql`
    select seq, evident.canonical_timestamp(created_at) as verified_at, metadata from public.audit_events
    where organization_id = ${organizationId}::uuid and event_type = 'backup_verified'
    order by seq desc limit 1`;
  if (!d) return { ok: true, reason: "no backup-verification drill recorded yet", drill: null };
  const months = Array.isArray(d.metadata.months_checked) ? d.metadata.months_checked as string[] : [];
  const failed = Array.isArray(d.metadata.months_failed) ? d.metadata.months_failed as string[] : [];
  const drill = { seq: Number(d.seq), verified_at: d.verified_at, valid: d.metadata.valid === true, months_checked: months, months_failed: failed };
  if (!drill.valid) {
    return { ok: false, reason: `the backup-verification drill of ${d.verified_at} failed for ${failed.join(", ") || "the archive"}`, drill };
  }
  return { ok: true, reason: `the backup-verification drill of ${d.verified_at} restored and verified ${months.length} archived month(s)`, drill };
}

/** SOC 2 availability: the newest backup-verification drill passed (backupDrill). */
export async function backupVerification(sql: Queryable, organizationId: string): Promise<Control> {
  const drill = await backupDrill(sql, organizationId);
  return {
    id: "backup_verification",
    name: "Backups restore and verify: the newest backup-verification drill (evident archive verify --record) passed",
    status: status(drill.ok),
    reason: drill.reason,
    evidence: { drill: drill.drill },
  };
}
