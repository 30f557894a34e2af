// Which callers may act for an organisation. Runs inside the writer transaction, so the answer
// holds for the rest of it.
import type { WriterTransaction } from "./db.ts";
import type { Caller } from "./auth.ts";
import { ApiError } from "./errors.ts";

export type MemberRole = "admin" | "auditor" | "moderator" | "legal";

export const writerRoles: MemberRole[] = ["admin", "moderator"];
export const readerRoles: MemberRole[] = ["admin", "auditor"];
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
  if (caller.kind === "service") {
    if (!row) throw new ApiError(404, "not_found", `organization ${organizationId} does not exist`);
    return;
  }
  if (!row?.role || !allowed.includes(row.role)) {
    throw new ApiError(403, "forbidden", `this requires the ${allowed.join(" or ")} role in organization ${organizationId}`);
  }
}
