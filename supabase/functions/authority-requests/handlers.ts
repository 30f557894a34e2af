import { appendEvents } from "../_shared/append.ts";
import type { Caller } from "../_shared/auth.ts";
import { type AuthorityRequest, certifyRequest } from "../_shared/certified-export/certify.ts";
import { asWriter, type Sql, type WriterTransaction } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import type { ExportSigner } from "../_shared/export-key.ts";
import { errorResponse, json, readJsonBody } from "../_shared/http.ts";
import type { Keyring } from "../_shared/keyring.ts";
import { authorityRoles, requireOrganizationRole, resourceOrganization } from "../_shared/membership.ts";
import { createAuthorityRequest, listAuthorityRequests } from "../_shared/schemas/authority-requests.ts";
import { eventInput } from "../_shared/schemas/events.ts";
import { parseInput, queryParameters } from "../_shared/schemas/parse.ts";

export interface Context {
  sql: Sql;
  keyring: Keyring;
  signer: ExportSigner;
  caller: Caller;
}

const maxBodyBytes = 64 * 1024;

const requestColumns = (tx: WriterTransaction) => tx`
  id, organization_id, authority, legal_basis, reference,
  evident.canonical_timestamp(scope_start) as scope_start, evident.canonical_timestamp(scope_end) as scope_end,
  event_types, target_ids, evident.canonical_timestamp(received_at) as received_at, received_by,
  evident.canonical_timestamp(response_deadline) as response_deadline, status,
  evident.canonical_timestamp(responded_at) as responded_at, events_provided, export_signature,
  (status = 'received' and now() > response_deadline) as overdue`;

export async function createHandler(request: Request, { sql, keyring, caller }: Context): Promise<Response> {
  const body = parseInput(createAuthorityRequest, await readJsonBody(request, maxBodyBytes), "request body");
  const result = await asWriter(sql, async (tx) => {
    await requireOrganizationRole(tx, caller, body.organization_id, authorityRoles);
    const [row] = await tx`
      insert into evident.authority_requests (organization_id, authority, legal_basis, reference, scope_start, scope_end,
        event_types, target_ids, response_deadline, received_by)
      values (${body.organization_id}::uuid, ${body.authority}, ${body.legal_basis}, ${body.reference ?? null},
        ${body.scope.start}::text::timestamptz, ${body.scope.end}::text::timestamptz,
        ${body.scope.event_types ?? null}::text[], ${body.scope.target_ids ?? null}::text[],
        ${body.response_deadline}::text::timestamptz, ${caller.actorId})
      returning ${requestColumns(tx)}`;
    const event = await record(tx, caller, row, "received", {
      authority: row.authority,
      legal_basis: row.legal_basis,
      reference: row.reference,
      scope: { start: row.scope_start, end: row.scope_end, event_types: row.event_types, target_ids: row.target_ids },
      ...(body.member_state === undefined ? {} : { member_state: body.member_state }),
      ...(body.category === undefined ? {} : { category: body.category }),
      ...(body.keyword === undefined ? {} : { keyword: body.keyword }),
    }, keyring);
    return { request: row, event };
  });
  return json(201, result);
}

export async function listHandler(request: Request, { sql, caller }: Context): Promise<Response> {
  const query = parseInput(listAuthorityRequests, queryParameters(request), "query");
  const requests = await asWriter(sql, async (tx) => {
    await requireOrganizationRole(tx, caller, query.organization_id, authorityRoles);
    return await tx`
      select ${requestColumns(tx)} from evident.authority_requests
      where organization_id = ${query.organization_id}::uuid ${query.status ? tx`and status = ${query.status}` : tx``}
      order by received_at desc, id`;
  });
  return json(200, { organization_id: query.organization_id, requests });
}

export async function respondHandler(id: string, { sql, keyring, signer, caller }: Context): Promise<Response> {
  const outcome = await asWriter(sql, async (tx) => {
    // Who may answer is settled before the request is locked: anyone else gets one refusal, the
    // same whether or not the id exists, and waits on no lock (only the service role learns 404).
    await resourceOrganization(tx, caller, "authority request", id, authorityRoles);
    const [row] = await tx`select ${requestColumns(tx)} from evident.authority_requests where id = ${id}::uuid for update`;
    if (!row) throw new ApiError(404, "not_found", `no authority request ${id}`);
    if (row.status !== "received") {
      throw new ApiError(409, "conflict", `authority request ${id} was answered at ${row.responded_at} with ${row.events_provided} events`);
    }
    const certification = await certifyRequest(tx, row as AuthorityRequest, caller, keyring, signer);
    if (certification.status === "refused") {
      // The refusal is on record unless the trail is too broken to append to (then it is the
      // very thing the refusal reports).
      await record(tx, caller, row, "certification_refused", { problems: certification.problems }, keyring)
        .catch((error) => { if (!(error instanceof ApiError)) throw error; });
      return certification;
    }
    const pkg = certification.package;
    const [{ late }] = await tx`
      update evident.authority_requests
      set status = 'responded', responded_at = now(), events_provided = ${pkg.events.length}, export_signature = ${pkg.signature}
      where id = ${id}::uuid
      returning now() > response_deadline as late`;
    await record(tx, caller, row, "responded", {
      events_provided: pkg.events.length,
      export_signature: pkg.signature,
      signing_key_id: pkg.signing_key_id,
      answered_late: late,
    }, keyring);
    return certification;
  });
  if (outcome.status === "refused") {
    return errorResponse(new ApiError(409, "trail_not_verified",
      `the trail does not verify, so the export cannot be certified: ${outcome.problems[0]}`, { problems: outcome.problems }));
  }
  return json(200, outcome.package);
}

/** An authority_data_request event (the seed's shape), with the request's id and deadline. */
async function record(
  tx: WriterTransaction,
  caller: Caller,
  request: Record<string, unknown>,
  action: "received" | "responded" | "certification_refused",
  details: Record<string, unknown>,
  keyring: Keyring,
) {
  const event = eventInput.parse({
    event_type: "authority_data_request",
    actor_id: caller.actorId,
    actor_type: caller.kind === "service" ? "service" : "user",
    target_id: request.id,
    target_type: "authority_request",
    action,
    metadata: { request_id: request.id, response_deadline: request.response_deadline, ...details },
  });
  const [appended] = await appendEvents(tx, request.organization_id as string, [event], keyring);
  return appended;
}
