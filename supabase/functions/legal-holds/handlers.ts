import type { Caller } from "../_shared/auth.ts";
import { asWriter, type Sql } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { applyLegalHold, type Hold, holdColumns, lockHold, releaseLegalHold } from "../_shared/holds.ts";
import { json, readJsonBody } from "../_shared/http.ts";
import type { Keyring } from "../_shared/keyring.ts";
import { legalRoles, requireOrganizationRole, resourceOrganization } from "../_shared/membership.ts";
import { applyHold, listHolds, releaseHold } from "../_shared/schemas/legal-holds.ts";
import { parseInput, queryParameters } from "../_shared/schemas/parse.ts";

export interface Context {
  sql: Sql;
  keyring: Keyring;
  caller: Caller;
}

const maxBodyBytes = 16 * 1024;

const actorOf = (caller: Caller) => ({ actorId: caller.actorId, actorType: caller.kind === "service" ? "service" : "user" });

export async function applyHandler(request: Request, { sql, keyring, caller }: Context): Promise<Response> {
  const body = parseInput(applyHold, await readJsonBody(request, maxBodyBytes), "request body");
  const result = await asWriter(sql, async (tx) => {
    await requireOrganizationRole(tx, caller, body.organization_id, legalRoles);
    return await applyLegalHold(tx, actorOf(caller), body, keyring);
  });
  return json(201, result);
}

export async function releaseHandler(request: Request, id: string, { sql, keyring, caller }: Context): Promise<Response> {
  const body = parseInput(releaseHold, await readJsonBody(request, maxBodyBytes), "request body");
  const result = await asWriter(sql, async (tx) => {
    // Who may release is settled before the hold is locked: anyone else gets one refusal, the same
    // whether or not the id exists, and waits on no lock (only the service role learns 404).
    await resourceOrganization(tx, caller, "legal hold", id, legalRoles);
    const existing = await lockHold(tx, id);
    if (!existing) throw new ApiError(404, "not_found", `no legal hold ${id}`);
    return await releaseLegalHold(tx, actorOf(caller), existing, body.reason, keyring);
  });
  return json(200, result);
}

export async function listHandler(request: Request, { sql, caller }: Context): Promise<Response> {
  const query = parseInput(listHolds, queryParameters(request), "query");
  const holds = await asWriter(sql, async (tx) => {
    await requireOrganizationRole(tx, caller, query.organization_id, legalRoles);
    return await tx<Hold[]>`
      select ${holdColumns(tx)} from evident.legal_holds
      where organization_id = ${query.organization_id}::uuid
        ${query.active === "true" ? tx`and released_at is null` : query.active === "false" ? tx`and released_at is not null` : tx``}
      order by applied_at desc, id`;
  });
  return json(200, { organization_id: query.organization_id, holds });
}
