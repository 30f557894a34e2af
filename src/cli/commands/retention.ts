// evident retention check --month YYYY-MM [--archive DIR] [--public-key PEM] [--json]
// evident retention drop  --month YYYY-MM [--archive DIR] [--public-key PEM] [--json]
// The only way a month of the trail leaves the database (docs/retention.md). Conditions, each
// reported with its reason: the month is sealed (and not found tampered); its archived copy exists
// and verifies against the signed manifest (evident archive verify's check), and is the manifest
// this database recorded; the month still holds exactly what was sealed; every entry's
// retention_until has passed; no active legal hold covers any of its entries (a failed hold
// lookup refuses too); no organisation in it has older entries (months go oldest first); its
// entries are all in its own partition. `drop` then calls evident.retention_drop_month, which
// checks the database's conditions again under a lock, drops the partition and records the
// tombstone. Every drop and every refusal is a `retention_action` event in each organisation the
// month holds, appended in the same transaction as the drop.
// Exit 0: all conditions met (check) / dropped (drop); 1: refused, with each unmet condition;
// 2: could not run (including a failed hold lookup: nothing is dropped).
import { readFileSync } from "node:fs";
import { appendEvents } from "../../../supabase/functions/_shared/append.ts";
import { asWriter } from "../../../supabase/functions/_shared/db.ts";
import { hasSqlState } from "../../../supabase/functions/_shared/errors.ts";
import { Keyring } from "../../../supabase/functions/_shared/keyring.ts";
import { eventInput } from "../../../supabase/functions/_shared/schemas/events.ts";
import { type MonthBounds, monthBounds } from "../../../supabase/functions/_shared/seal.ts";
import type { Queryable } from "../../../supabase/functions/_shared/trail.ts";
import { archiveDir } from "../archive.ts";
import { cliDatabase } from "../database.ts";
import { checkArchivedMonth } from "../month-archive.ts";

interface Condition {
  condition: string;
  met: boolean;
  detail: string;
}

export async function retention(action: "check" | "drop", values: { month?: string; archive?: string; "public-key"?: string; json: boolean }): Promise<number> {
  if (!values.month) throw new Error("--month YYYY-MM is required");
  const bounds = monthBounds(values.month);
  if (!bounds) throw new Error(`--month ${values.month} is not of the form YYYY-MM`);
  const dir = values.archive ?? archiveDir();
  const publicKeyPem = values["public-key"] ? readFileSync(values["public-key"], "utf8") : undefined;
  // Dropping appends retention_action events, so it needs the active signing key; a check does not.
  const keyring = action === "drop" ? Keyring.fromEnv() : Keyring.forVerification(process.env.AUDIT_SIGNING_KEYS);

  const sql = cliDatabase();
  try {
    const { conditions, sha256 } = await retentionConditions(sql, bounds, dir, keyring, publicKeyPem);
    const unmet = conditions.filter((c) => !c.met);
    if (action === "check") {
      print(values.month, conditions, values.json, unmet.length === 0 ? "every condition is met: evident retention drop would drop it" : "retention would refuse");
      return unmet.length === 0 ? 0 : 1;
    }
    const organizations = await monthOrganizations(sql, bounds);
    const actor = process.env.USER || "operator";
    // The refusal is recorded too, in every organisation the month holds.
    const refuse = async (conditions: Condition[]) => {
      const unmet = conditions.filter((c) => !c.met);
      for (const org of organizations) {
        await asWriter(sql, (tx) => appendEvents(tx, org.organization_id, [retentionEvent(actor, bounds, org.organization_id, {
          outcome: "refused",
          unmet: unmet.map((c) => ({ condition: c.condition, detail: ownOnly(c.detail, org.organization_id) })),
        })], keyring));
      }
      print(bounds.month, conditions, values.json, `refused: ${bounds.partitionName} is not dropped`);
      return 1;
    };
    if (unmet.length > 0) return await refuse(conditions);
    const dropped = await sql.begin(async (tx) => {
      // The month's personal values (canonical form v2 keeps them outside the entries) go with it.
      const personal = new Map((await tx`
        select organization_id, count(*)::int as n from evident.personal_data
        where event_created_at >= ${bounds.start}::text::timestamptz and event_created_at < ${bounds.end}::text::timestamptz
          and erased_at is null
        group by 1`).map((r) => [r.organization_id as string, r.n as number]));
      // The events first: an organisation whose newest entry is in this month must have a head
      // the trail still holds once the month is gone. They link to the month's last entries,
      // which the tombstone records as the boundary.
      await tx`set local role evident_writer`;
      for (const org of organizations) {
        const erased = personal.get(org.organization_id) ?? 0;
        const [event] = await appendEvents(tx as unknown as Parameters<typeof appendEvents>[0], org.organization_id, [retentionEvent(actor, bounds, org.organization_id, {
          outcome: "dropped",
          entries: org.count,
          boundary: { last_seq: org.last_seq, last_hash: org.last_hash },
          archive_sha256: sha256,
          personal_values_erased: erased,
        })], keyring);
        if (erased > 0) {
          await tx`
            update evident.personal_data
            set value = null, subject_id = null, nonce = null, erased_at = now(), erasure = 'erased', erasure_event_id = ${event.id}::uuid
            where organization_id = ${org.organization_id}::uuid and erased_at is null
              and event_created_at >= ${bounds.start}::text::timestamptz and event_created_at < ${bounds.end}::text::timestamptz`;
        }
      }
      await tx`reset role`;
      const [{ n }] = await tx`select evident.retention_drop_month(${bounds.startDate}::date, ${sha256!}, ${actor}) as n`;
      return Number(n);
    }).catch((error: Error & { code?: string }) => {
      // The database found a condition unmet once it held the month's lock (a hold applied since
      // our check, say): the drop and its events rolled back, and the refusal is recorded instead.
      if (hasSqlState(error, "retentionRefused")) return error;
      throw error;
    });
    if (dropped instanceof Error) {
      const now = await sql<Condition[]>`select condition, met, detail from evident.retention_conditions(${bounds.startDate}::date)`;
      const refusal = [...conditions.filter((c) => !now.some((d) => d.condition === c.condition)), ...now];
      // (Met again by now, say a hold released meanwhile: the database's own words are the reason.)
      if (refusal.every((c) => c.met)) refusal.push({ condition: "database_refused", met: false, detail: dropped.message });
      return await refuse(refusal);
    }
    print(values.month, conditions, values.json, `dropped ${bounds.partitionName}: ${dropped} entries; its manifest stays as the tombstone, and its archived copy at ${dir}`);
    return 0;
  } finally {
    await sql.end();
  }
}

/** The archive's conditions (checked here) and the database's (evident.retention_conditions). */
async function retentionConditions(sql: Queryable, bounds: MonthBounds, dir: string, keyring: Keyring, publicKeyPem?: string) {
  const conditions: Condition[] = [];
  const archived = await checkArchivedMonth(dir, bounds, keyring, publicKeyPem);
  conditions.push({
    condition: "archived_copy_verifies",
    met: archived.valid,
    detail: archived.valid ? `${dir}: ${archived.record_count} archived entries verify against the signed manifest` : archived.problems.join("; "),
  });
  const [recorded] = await sql`select signature from public.partition_manifests where partition_name = ${bounds.partitionName}`;
  if (recorded && archived.signature !== undefined) {
    const same = recorded.signature === archived.signature;
    conditions.push({
      condition: "archived_manifest_is_recorded",
      met: same,
      detail: same ? "the archived manifest is the one this database recorded" : "the archived manifest is not the one this database recorded",
    });
  }
  // A failed lookup (holds included) throws: the command cannot run, and nothing is dropped.
  const rows = await sql<Condition[]>`select condition, met, detail from evident.retention_conditions(${bounds.startDate}::date)`;
  conditions.push(...rows);
  return { conditions, sha256: archived.sha256 };
}

/** Each organisation in the month, with its count and last entry (from the manifest if sealed, else the rows). */
async function monthOrganizations(sql: Queryable, bounds: MonthBounds) {
  const rows = await sql`
    select e.organization_id, count(*)::bigint as count, max(e.seq)::bigint as last_seq,
      (array_agg(e.entry_hash order by e.seq desc))[1] as last_hash
    from public.audit_events e
    where e.created_at >= ${bounds.start}::text::timestamptz and e.created_at < ${bounds.end}::text::timestamptz
    group by 1 order by 1`;
  return rows.map((r) => ({ organization_id: r.organization_id as string, count: Number(r.count), last_seq: Number(r.last_seq), last_hash: r.last_hash as string }));
}

function retentionEvent(actor: string, bounds: MonthBounds, _organizationId: string, outcome: Record<string, unknown>) {
  return eventInput.parse({
    event_type: "retention_action",
    actor_id: actor,
    actor_type: "operator",
    target_id: bounds.partitionName,
    target_type: "audit_partition",
    action: "drop",
    metadata: { month: bounds.month, ...outcome },
  });
}

/** Another organisation's identifiers never enter this one's trail. */
function ownOnly(detail: string, organizationId: string): string {
  return detail.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (id) => (id === organizationId ? id : "another organisation"));
}

function print(month: string, conditions: Condition[], json: boolean, verdict: string) {
  if (json) {
    console.log(JSON.stringify({ month, conditions, verdict }, null, 2));
    return;
  }
  for (const c of conditions) console.log(`${c.met ? "met     " : "NOT MET "} ${c.condition.padEnd(30)} ${c.detail}`);
  console.log(verdict);
}
