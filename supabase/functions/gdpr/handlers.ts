import { z } from "zod";
import { recordAccess } from "../_shared/audited-read.ts";
import type { Caller } from "../_shared/auth.ts";
import { asWriter, type Sql } from "../_shared/db.ts";
import { ApiError } from "../_shared/errors.ts";
import { anonymiseOrganization, consentHistory, eraseSubject, organizationsToAnonymise } from "../_shared/gdpr.ts";
import { json, readJsonBody } from "../_shared/http.ts";
import type { Keyring } from "../_shared/keyring.ts";
import { type MemberRole, requireOrganizationRole } from "../_shared/membership.ts";
import type { CommitmentKey } from "../_shared/personal.ts";
import { parseInput, queryParameters } from "../_shared/schemas/parse.ts";
import { text, uuid } from "../_shared/schemas/values.ts";

export interface Context {
  sql: Sql;
  keyring: Keyring;
  key: CommitmentKey;
  caller: Caller;
}

const maxBodyBytes = 16 * 1024;
const routes = ["erase", "anonymise", "consent"] as const;
/** Erasure is an organisation administrator's decision. */
const eraseRoles: MemberRole[] = ["admin"];
/** Consent records are read by those who audit the organisation or answer for it. */
const consentRoles: MemberRole[] = ["admin", "auditor", "legal"];

export function route(request: Request): typeof routes[number] {
  const pathname = new URL(request.url).pathname.replace(/\/$/, "");
  const name = pathname.slice(pathname.lastIndexOf("/") + 1);
  if (!(routes as readonly string[]).includes(name)) {
    throw new ApiError(404, "not_found", `no such route: the routes are ${routes.map((r) => `…/gdpr/${r}`).join(", ")}`);
  }
  return name as typeof routes[number];
}

const actorOf = (caller: Caller) => ({ actorId: caller.actorId, actorType: caller.kind === "service" ? "service" : "user" });

const eraseRequest = z.strictObject({
  organization_id: uuid,
  subject_id: text(1, 256),
  /** The data subject's request, as the organisation files it (a ticket number); recorded on the erasure event. */
  request_reference: text(1, 200).optional(),
});

export async function eraseHandler(request: Request, { sql, keyring, key, caller }: Context): Promise<Response> {
  const body = parseInput(eraseRequest, await readJsonBody(request, maxBodyBytes), "request body");
  const result = await asWriter(sql, async (tx) => {
    await requireOrganizationRole(tx, caller, body.organization_id, eraseRoles);
    return await eraseSubject(tx, actorOf(caller), body.organization_id, body.subject_id, body.request_reference, keyring, key);
  });
  return json(200, result);
}

const anonymiseRequest = z.strictObject({ organization_id: uuid.optional() });

/** The service role may run it for every organisation (pg_cron); an admin for their own. */
export async function anonymiseHandler(request: Request, { sql, keyring, caller }: Context): Promise<Response> {
  const raw = request.headers.get("content-length") === "0" ? {} : await readJsonBody(request, maxBodyBytes);
  const body = parseInput(anonymiseRequest, raw, "request body");
  if (body.organization_id === undefined && caller.kind !== "service") {
    throw new ApiError(400, "invalid_request", "organization_id is required (only the service role anonymises every organisation at once)", {
      issues: [{ path: "organization_id", message: "required" }],
    });
  }
  const organizations = body.organization_id !== undefined ? [body.organization_id] : await asWriter(sql, (tx) => organizationsToAnonymise(tx));
  const results = [];
  // One transaction per organisation: each has its own chain and its own anonymisation event.
  for (const organizationId of organizations) {
    results.push(await asWriter(sql, async (tx) => {
      await requireOrganizationRole(tx, caller, organizationId, eraseRoles);
      return await anonymiseOrganization(tx, actorOf(caller), organizationId, keyring);
    }));
  }
  return json(200, { organizations: results });
}

const consentQuery = z.strictObject({
  organization_id: uuid,
  subject: text(1, 256),
  /** Why the consent record is read; recorded on the audit_access event like every read. */
  purpose: text(3, 500),
  consent_purpose: text(1, 200).optional(),
});

export async function consentHandler(request: Request, { sql, keyring, caller }: Context): Promise<Response> {
  const query = parseInput(consentQuery, queryParameters(request), "query");
  const result = await asWriter(sql, async (tx) => {
    await requireOrganizationRole(tx, caller, query.organization_id, consentRoles);
    const history = await consentHistory(tx, query.organization_id, query.subject, query.consent_purpose);
    // The subject id itself is personal data: the access record says a consent lookup happened, not for whom.
    const access_event = await recordAccess(tx, caller, query.organization_id, query.purpose, {
      endpoint: "gdpr/consent",
      ...(query.consent_purpose !== undefined ? { consent_purpose: query.consent_purpose } : {}),
      returned: history.events.length,
    }, keyring);
    return { ...history, access_event };
  });
  return json(200, { organization_id: query.organization_id, subject: query.subject, ...result });
}
