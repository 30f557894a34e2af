import type { AppendGroupCommit } from "../_shared/append-group-commit.ts";
import { readTrailAudited } from "../_shared/audited-read.ts";
import type { Caller } from "../_shared/auth.ts";
import { asWriter, type Sql } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { json, readJsonBody } from "../_shared/http.ts";
import type { Keyring } from "../_shared/keyring.ts";
import { readerRoles, requireOrganizationRole } from "../_shared/membership.ts";
import { appendRequest, readQuery } from "../_shared/schemas/events.ts";
import { parseInput as parse, queryParameters } from "../_shared/schemas/parse.ts";

export interface Context {
  sql: Sql;
  keyring: Keyring;
  caller: Caller;
  /** Where appends go: into the next group transaction, or alone (append-group-commit.ts). */
  appends: AppendGroupCommit;
}

/** 1000 events with their metadata fit comfortably; anything larger is refused unread. */
export const maxBodyBytes = 8 * 1024 * 1024;

export async function appendHandler(request: Request, { caller, appends }: Context): Promise<Response> {
  const body = parse(appendRequest, await readJsonBody(request, maxBodyBytes), "request body");
  const events = await appends.append({ caller, organizationId: body.organization_id, events: body.events });
  const wroteAny = events.some((event) => !event.replayed);
  return json(wroteAny ? 201 : 200, { organization_id: body.organization_id, events });
}

export async function readHandler(request: Request, { sql, keyring, caller }: Context): Promise<Response> {
  const raw = queryParameters(request);
  if (!raw.purpose) {
    throw new ApiError(400, "invalid_request", "purpose is required: say why you are reading the trail (it is recorded)", {
      issues: [{ path: "purpose", message: "required" }],
    });
  }
  const query = parse(readQuery, raw, "query");
  const page = await asWriter(sql, async (tx) => {
    await requireOrganizationRole(tx, caller, query.organization_id, readerRoles);
    return await readTrailAudited(tx, caller, query, keyring);
  });
  return json(200, { organization_id: query.organization_id, ...page });
}
