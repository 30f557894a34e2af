// Checking one stored entry in place: its own hash and signature, and its link to the entry
// before it (or, for genesis, that it names none).
import { ChainVerifier, type EntryVerdict } from "./chain.ts";
import type { Keyring } from "./keyring.ts";
import { entryColumns, toEntry, type Queryable } from "./trail.ts";

export async function checkStoredEntry(sql: Queryable, entryId: string, keyring: Keyring): Promise<{ organization_id: string; verdict: EntryVerdict } | undefined> {
  const [row] = await sql`select ${sql(entryColumns as unknown as string[])} from evident.audit_entries where id = ${entryId}::uuid limit 1`;
  if (!row) return undefined;
  const entry = toEntry(row);
  let start = { seq: 0, hash: null as string | null };
  if (entry.seq > 1) {
    const [previous] = await sql`select seq, entry_hash from public.audit_events where organization_id = ${entry.organization_id}::uuid and seq = ${entry.seq - 1}`;
    // A missing predecessor leaves the expected link unknown: the entry's chain check then fails.
    start = previous ? { seq: Number(previous.seq), hash: previous.entry_hash } : { seq: entry.seq - 1, hash: null };
  }
  const verdict = new ChainVerifier(entry.organization_id, keyring, start).push(entry);
  return { organization_id: entry.organization_id, verdict };
}
