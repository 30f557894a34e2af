// Which callers may act for an organisation. Runs inside the writer transaction, so the answer
// holds for the rest of it.
import type { WriterTransaction } from "./db.ts";
import type { Caller } from "./auth.ts";
import { ApiError } from "./errors.ts";

export type MemberRole = "admin" | "auditor" | "moderator" | "legal";

export const writerRoles: MemberRole[] = ["admin", "moderator"];
export const readerRoles: MemberRole[] = ["admin", "auditor"];
/** Who reads the DSA transparency report: the readers, and legal, who publishes it. */
export const reportReaderRoles: MemberRole[] = ["admin", "auditor", "legal"];
/** Who answers authorities' data requests and applies or releases legal holds. */
export const legalRoles: MemberRole[] = ["admin", "legal"];
export const authorityRoles = legalRoles;

/**
 * 403 unless the caller is the service role or holds one of the roles in the organisation. Only
 * the service role learns that an organisation does not exist (404): a signed-in user gets the
 * same 403 for an unknown organisation as for someone else's, so ids cannot be probed.
 */
export async function requireOrganizationRole(
  tx: WriterTransaction,
  caller: Caller,
  organizationId: string,
  allowed: MemberRole[],
): Promise<void> {
  const [row] = await tx`
    select o.id, m.role
    from public.organizations o
    left join public.organization_members m
      on m.organization_id = o.id and m.user_id = ${caller.kind === "user" ? caller.userId : null}::uuid
    where o.id = ${organizationId}::uuid`;
  const refusal = roleRefusal(caller, organizationId, allowed, row);
  if (refusal) throw refusal;
}

/**
 * requireOrganizationRole for several callers and organisations at once, in one query (group
 * commit, append-group-commit.ts): for each check, its refusal, or undefined when it may act.
 */
export async function organizationRoleRefusals(
  tx: WriterTransaction,
  checks: Array<{ caller: Caller; organizationId: string }>,
  allowed: MemberRole[],
): Promise<Array<ApiError | undefined>> {
  const rows = await tx`
    select c.n, o.id, m.role
    from unnest(${checks.map(({ organizationId }) => organizationId)}::uuid[],
                ${checks.map(({ caller }) => caller.kind === "user" ? caller.userId : null)}::uuid[]) with ordinality as c(organization_id, user_id, n)
    join public.organizations o on o.id = c.organization_id
    left join public.organization_members m on m.organization_id = o.id and m.user_id = c.user_id`;
  const rowByCheck = new Map(rows.map((row) => [Number(row.n) - 1, row]));
  return checks.map(({ caller, organizationId }, i) => roleRefusal(caller, organizationId, allowed, rowByCheck.get(i)));
}

/** The refusal a caller gets, given the organisation's row with the caller's role (none: it does not exist). */
function roleRefusal(caller: Caller, organizationId: string, allowed: MemberRole[], row: { role?: MemberRole | null } | undefined): ApiError | undefined {
  if (caller.kind === "service") return row ? undefined : new ApiError(404, "not_found", `organization ${organizationId} does not exist`);
  if (!row?.role || !allowed.includes(row.role)) {
    return new ApiError(403, "forbidden", `this requires the ${allowed.join(" or ")} role in organization ${organizationId}`);
  }
  return undefined;
}

/** Resources named by id in a path or query, each with its organisation. */
const resourceTables = {
  entry: "public.audit_events",
  "authority request": "evident.authority_requests",
  "legal hold": "evident.legal_holds",
} as const;
export type Resource = keyof typeof resourceTables;

/**
 * The one refusal a signed-in caller gets for a resource id they may not act on: the same words
 * and status whether the id exists, belongs to another organisation, or the caller lacks the role.
 * It names no organisation, so ids cannot be probed for where they belong.
 */
export function resourceRefusal(resource: Resource, allowed: MemberRole[]): ApiError {
  return new ApiError(403, "forbidden", `this ${resource} does not exist or requires the ${allowed.join(" or ")} role in its organization`);
}

/**
 * The organisation of a resource (an entry, an authority request, a legal hold) that the caller may
 * act on, checked before anything else is done with the resource: one indexed read, no lock, no
 * verification, nothing written for a caller who may not. The service role learns that an id does
 * not exist (404); a signed-in user gets resourceRefusal either way.
 */
export async function resourceOrganization(
  tx: WriterTransaction,
  caller: Caller,
  resource: Resource,
  id: string,
  allowed: MemberRole[],
): Promise<string> {
  const [row] = await tx`
    select r.organization_id, m.role
    from ${tx(resourceTables[resource])} r
    left join public.organization_members m
      on m.organization_id = r.organization_id and m.user_id = ${caller.kind === "user" ? caller.userId : null}::uuid
    where r.id = ${id}::uuid
    limit 1`;
  if (caller.kind === "service") {
    if (!row) throw new ApiError(404, "not_found", `no ${resource} ${id}`);
    return row.organization_id;
  }
  if (!row?.role || !allowed.includes(row.role)) throw resourceRefusal(resource, allowed);
  return row.organization_id;
}
