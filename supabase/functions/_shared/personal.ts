// Personal data outside the signed core (canonical form v2; docs/canonical-form.md §10 and
// docs/gdpr.md). The values live in evident.personal_data; the signed entry carries, per value,
//   commitment = HMAC-SHA256(AUDIT_PII_COMMITMENT_KEY, RFC 8785 text of
//                {commitment_version, organization_id, event_id, name, subject_id, value, nonce})
// with a fresh 16-byte nonce per value. Erasure clears value, subject and nonce: the commitment
// stays signed and the entry keeps verifying, and nobody (not even a holder of the key) can test a
// guess of the erased value against it without the nonce.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { commitmentBytes, type PersonalRecord } from "./canonical.ts";
import { ConfigurationError, readEnv } from "./env.ts";
import type { PersonalDataInput } from "./schemas/events.ts";
import type { Queryable } from "./trail.ts";

export const commitmentKeyVariable = "AUDIT_PII_COMMITMENT_KEY";
/** Keys rotated out, comma-separated: values committed under them still check (docs/runbooks/key-rotation.md). */
export const retiredCommitmentKeysVariable = "AUDIT_PII_COMMITMENT_RETIRED_KEYS";
export const minimumCommitmentKeyBytes = 32;

export class CommitmentKey {
  readonly #secret: Uint8Array;
  readonly #retired: Uint8Array[];

  private constructor(secret: Uint8Array, retired: Uint8Array[]) {
    this.#secret = secret;
    this.#retired = retired;
  }

  /**
   * Each secret exactly as written (surrounding whitespace trimmed), as UTF-8 bytes; at least 32.
   * `retired`: the keys rotated out, comma-separated; they only check values committed before.
   */
  static parse(secret: string | undefined, retired?: string): CommitmentKey {
    if (!secret?.trim()) throw new ConfigurationError(`${commitmentKeyVariable} is not set: personal data cannot be committed or checked without it`);
    const bytes = (text: string, name: string) => {
      const encoded = new TextEncoder().encode(text.trim());
      if (encoded.length < minimumCommitmentKeyBytes) {
        throw new ConfigurationError(`${name} is ${encoded.length} bytes; at least ${minimumCommitmentKeyBytes} are required`);
      }
      return encoded;
    };
    const retiredKeys = (retired ?? "").split(",").map((text) => text.trim()).filter(Boolean)
      .map((text, i) => bytes(text, `key ${i + 1} of ${retiredCommitmentKeysVariable}`));
    return new CommitmentKey(bytes(secret, commitmentKeyVariable), retiredKeys);
  }

  static fromEnv(): CommitmentKey {
    return CommitmentKey.parse(readEnv(commitmentKeyVariable), readEnv(retiredCommitmentKeysVariable));
  }

  /** Lowercase hex HMAC-SHA256 over the record's commitment bytes. */
  commit(record: PersonalRecord): string {
    return createHmac("sha256", this.#secret).update(commitmentBytes(record)).digest("hex");
  }

  /**
   * Constant-time check of a stored value against its signed commitment, under the current key or
   * any retired one (a value committed before a rotation keeps checking).
   */
  matches(record: PersonalRecord, commitment: string): boolean {
    if (!/^[0-9a-f]{64}$/.test(commitment)) return false;
    let message: Uint8Array;
    try {
      message = commitmentBytes(record);
    } catch {
      return false;
    }
    const signed = Buffer.from(commitment, "hex");
    return [this.#secret, ...this.#retired].some((secret) => timingSafeEqual(createHmac("sha256", secret).update(message).digest(), signed));
  }

  /** A keyed, non-reversible reference to a data subject, for erasure events (which may not name them). */
  subjectReference(organizationId: string, subjectId: string): string {
    const message = new TextEncoder().encode(JSON.stringify(["evident.subject-reference", organizationId.toLowerCase(), subjectId]));
    return `subject-hmac:${createHmac("sha256", this.#secret).update(message).digest("hex")}`;
  }

  toJSON() {
    return { commitmentKey: "(set)" };
  }
  [Symbol.for("nodejs.util.inspect.custom")]() {
    return "CommitmentKey(set)";
  }
  [Symbol.for("Deno.customInspect")]() {
    return "CommitmentKey(set)";
  }
}

let cached: CommitmentKey | undefined;
/** The process's key, read from the environment the first time it is needed. */
export function commitmentKeyFromEnv(): CommitmentKey {
  cached ??= CommitmentKey.fromEnv();
  return cached;
}

export const newNonce = (): string => randomBytes(16).toString("hex");

/** A row of evident.personal_data as the append path writes it. */
export interface PersonalRow extends PersonalRecord {
  commitment: string;
  event_created_at: string;
  event_timestamp: string;
  actor_id: string;
  target_id: string;
  pii_tagged: boolean;
}

/** Commits every personal value of one event; returns the signed member and the rows to store. */
export function commitPersonalData(
  key: CommitmentKey,
  event: { organization_id: string; id: string; created_at: string; timestamp: string; actor_id: string; target_id: string; pii_tagged: boolean },
  input: PersonalDataInput,
): { commitments: Record<string, string>; rows: PersonalRow[] } {
  const commitments: Record<string, string> = {};
  const rows: PersonalRow[] = [];
  for (const [name, { subject_id, value }] of Object.entries(input)) {
    const record: PersonalRecord = { organization_id: event.organization_id, event_id: event.id, name, subject_id, value, nonce: newNonce() };
    const commitment = key.commit(record);
    commitments[name] = commitment;
    rows.push({
      ...record, commitment, event_created_at: event.created_at, event_timestamp: event.timestamp,
      actor_id: event.actor_id, target_id: event.target_id, pii_tagged: event.pii_tagged,
    });
  }
  return { commitments, rows };
}

/** Stores the rows (one statement). Runs in the append transaction, as evident_writer. */
export async function insertPersonalRows(tx: Queryable, rows: PersonalRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx`
    insert into evident.personal_data (organization_id, event_id, name, subject_id, value, nonce, commitment,
      event_created_at, event_timestamp, actor_id, target_id, pii_tagged)
    select r.organization_id, r.event_id, r.name, r.subject_id, r.value, r.nonce, r.commitment,
      r.event_created_at, r.event_timestamp, r.actor_id, r.target_id, r.pii_tagged
    from jsonb_to_recordset(${tx.json(rows as never)}) as r(
      organization_id uuid, event_id uuid, name text, subject_id text, value jsonb, nonce text, commitment text,
      event_created_at timestamptz, event_timestamp timestamptz, actor_id text, target_id text, pii_tagged boolean)`;
}

/** A stored personal value as readers see it (evident.personal_data_of). */
export type PersonalView =
  | { subject_id: string; value: unknown }
  | { erased: true; erasure: "erased" | "anonymised"; erased_at: string; erasure_event_id: string };

/** SQL select-list item: the personal data of the row's event `id`, joined back while it exists. */
export const personalDataColumn = "evident.personal_data_of(id) as personal_data";

export interface PersonalCheckProblem {
  event_id: string;
  seq: number | null;
  name: string;
  problem: string;
}

export interface PersonalCheck {
  checked: number;
  erased: number;
  problems: PersonalCheckProblem[];
}

/**
 * Every personal value of the organisation against the commitment its (signed) entry carries:
 * a value, subject or nonce changed, a row moved to another event or name, a row with no signed
 * commitment, or a signed commitment with no row (a row deleted instead of erased). The entries
 * themselves are checked by ChainVerifier; this checks what lies outside them.
 */
export async function checkPersonalData(sql: Queryable, organizationId: string, key: CommitmentKey): Promise<PersonalCheck> {
  const result: PersonalCheck = { checked: 0, erased: 0, problems: [] };
  const rows = sql`
    select p.event_id, p.name, p.subject_id, p.value, p.nonce, p.commitment, p.erased_at is not null as erased,
           e.seq, e.personal_commitments -> p.name as signed, t.partition_name is not null as month_dropped
      from evident.personal_data p
      left join public.audit_events e
        on e.organization_id = p.organization_id and e.id = p.event_id and e.created_at = p.event_created_at
      left join evident.retention_tombstones t
        on t.partition_name = 'audit_events_' || to_char(p.event_created_at at time zone 'UTC', 'YYYY_MM')
     where p.organization_id = ${organizationId}::uuid
     order by p.event_created_at, p.event_id, p.name`.cursor(2000);
  for await (const batch of rows) {
    for (const row of batch) {
      const at = { event_id: row.event_id as string, seq: row.seq === null ? null : Number(row.seq), name: row.name as string };
      if (row.seq === null) {
        // A month dropped by retention takes its entries; their values are erased with it.
        if (row.month_dropped && row.erased) result.erased += 1;
        else if (row.month_dropped) result.problems.push({ ...at, problem: "its month was dropped by retention, but the value was not erased" });
        else result.problems.push({ ...at, problem: "no entry of the trail has this event id" });
        continue;
      }
      if (typeof row.signed !== "string") {
        result.problems.push({ ...at, problem: "the entry's signed personal_commitments has no value of this name" });
        continue;
      }
      if (row.commitment !== row.signed) result.problems.push({ ...at, problem: "the stored commitment differs from the signed one" });
      if (row.erased) {
        result.erased += 1;
        continue;
      }
      result.checked += 1;
      const record: PersonalRecord = {
        organization_id: organizationId, event_id: at.event_id, name: at.name,
        subject_id: row.subject_id, value: row.value, nonce: row.nonce,
      };
      if (!key.matches(record, row.signed)) {
        result.problems.push({ ...at, problem: "the value, its subject or its nonce does not match the signed commitment" });
      }
    }
  }
  const missing = await sql`
    select e.id, e.seq, n.name
      from public.audit_events e
      cross join lateral jsonb_object_keys(e.personal_commitments) as n(name)
     where e.organization_id = ${organizationId}::uuid and e.personal_commitments is not null
       and not exists (select 1 from evident.personal_data p where p.event_id = e.id and p.name = n.name)
     order by e.seq`;
  for (const row of missing) {
    result.problems.push({ event_id: row.id, seq: Number(row.seq), name: row.name, problem: "the signed commitment has no personal data row (deleted instead of erased)" });
  }
  return result;
}
