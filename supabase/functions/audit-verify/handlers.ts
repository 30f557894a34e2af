import { z } from "zod";
import { appendEvents } from "../_shared/append.ts";
import type { Caller } from "../_shared/auth.ts";
import { asWriter, type Sql } from "../_shared/db.ts";
import { checkStoredEntry } from "../_shared/entry-check.ts";
import { ApiError } from "../_shared/errors.ts";
import { json } from "../_shared/http.ts";
import type { Keyring } from "../_shared/keyring.ts";
import { readerRoles, requireOrganizationRole, resourceOrganization, resourceRefusal } from "../_shared/membership.ts";
import { eventInput } from "../_shared/schemas/events.ts";
import { queryParameters } from "../_shared/schemas/parse.ts";
import { describeIssues, timestamp, uuid } from "../_shared/schemas/values.ts";
import { verifyAgainstHead, verifyOrganization } from "../_shared/verify.ts";

export interface Context {
  sql: Sql;
  keyring: Keyring;
  caller: Caller;
}

const query = z.union([
  z.strictObject({ log_id: uuid }),
  z.strictObject({ organization_id: uuid, start: timestamp.optional(), end: timestamp.optional() }),
]);

export async function verifyHandler(request: Request, { sql, keyring, caller }: Context): Promise<Response> {
  const raw = queryParameters(request);
  const parsed = query.safeParse(raw);
  if (!parsed.success) {
    throw new ApiError(400, "invalid_request", "give log_id, or organization_id with an optional start and end (ISO 8601 timestamps)", {
      issues: describeIssues(parsed.error),
    });
  }
  const params = parsed.data;
  const result = await asWriter(sql, async (tx) => {
    if ("log_id" in params) {
      // Who may see the entry is settled before it is read or verified: anyone else gets one
      // refusal, the same for an unknown id and for another organisation's entry, and no work.
      await resourceOrganization(tx, caller, "entry", params.log_id, readerRoles);
      const found = await checkStoredEntry(tx, params.log_id, keyring);
      if (!found) {
        if (caller.kind === "service") throw new ApiError(404, "not_found", `no entry ${params.log_id}`);
        throw resourceRefusal("entry", readerRoles);
      }
      const { verdict } = found;
      const valid = verdict.failures.length === 0;
      await record(tx, caller, found.organization_id, { scope: "entry", log_id: params.log_id, seq: verdict.seq, valid, failures: verdict.failures }, keyring);
      return { organization_id: found.organization_id, scope: "entry", valid, entry: verdict };
    }
    await requireOrganizationRole(tx, caller, params.organization_id, readerRoles);
    // Up to now: against the chain head, exactly, whatever is appended meanwhile. A closed period
    // has no head to end at.
    const { summary, head } = params.end === undefined
      ? await verifyAgainstHead(tx, params.organization_id, keyring, { from: params.start })
      : { summary: await verifyOrganization(tx, params.organization_id, keyring, { from: params.start, to: params.end }), head: undefined };
    const valid = summary.valid && (head?.matches ?? true);
    await record(tx, caller, params.organization_id, {
      scope: "range", start: params.start ?? null, end: params.end ?? null, checked: summary.checked, valid,
      failures: summary.failures, first_failure_seq: summary.first_failure?.seq ?? null,
    }, keyring);
    // Data API reads recorded but not yet signed into this chain (evident.access_log): not entries
    // yet, so not verified here, but shown, so that a verifier knows the chain has reads to come.
    const [{ pending }] = await tx`select count(*)::int as pending from evident.pending_access_records(${params.organization_id}::uuid)`;
    return { ...summary, scope: "range", valid, ...(head ? { head } : {}), pending_access_records: pending };
  });
  return json(200, result);
}

async function record(tx: Parameters<typeof appendEvents>[0], caller: Caller, organizationId: string, metadata: Record<string, unknown>, keyring: Keyring) {
  const event = eventInput.parse({
    event_type: "audit_verification",
    actor_id: caller.actorId,
    actor_type: caller.kind === "service" ? "service" : "user",
    target_id: organizationId,
    target_type: "audit_trail",
    action: "verify",
    metadata,
  });
  await appendEvents(tx, organizationId, [event], keyring);
}
