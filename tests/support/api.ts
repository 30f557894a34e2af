// Arranging tenants and callers, and talking to the audit-events function, for integration tests.
import { SignJWT } from "jose";
import type postgres from "postgres";
import { ChainVerifier, type ChainSummary } from "../../supabase/functions/_shared/chain.ts";
import { Keyring } from "../../supabase/functions/_shared/keyring.ts";
import { entryColumns, toEntry } from "../../supabase/functions/_shared/trail.ts";
import { functionUrl, testStack } from "./stack.ts";

export const keyring = () => Keyring.parse(testStack.signingKeys, testStack.activeKeyId);

export async function createOrganization(sql: postgres.Sql, name = "test org"): Promise<string> {
  const [{ id }] = await sql`insert into public.organizations (name) values (${name}) returning id`;
  return id;
}

export async function createMember(sql: postgres.Sql, organizationId: string, role: "admin" | "auditor" | "moderator" | "legal") {
  const userId = crypto.randomUUID();
  await sql`insert into auth.users (id, email) values (${userId}, ${`${userId}@example.test`})`;
  await sql`insert into public.organization_members (organization_id, user_id, role) values (${organizationId}, ${userId}, ${role})`;
  return userId;
}

export async function createUser(sql: postgres.Sql) {
  const userId = crypto.randomUUID();
  await sql`insert into auth.users (id) values (${userId})`;
  return userId;
}

export async function userToken(userId: string): Promise<string> {
  return await new SignJWT({ role: "authenticated", sub: userId, aud: "authenticated" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(testStack.jwtSecret));
}

export const serviceToken = () => testStack.serviceRoleKey;

export function sampleEvent(overrides: Record<string, unknown> = {}) {
  return {
    event_type: "decision_made",
    actor_id: "moderator-1",
    actor_type: "user",
    target_id: `post-${Math.floor(Math.random() * 1e9)}`,
    target_type: "content",
    action: "remove",
    metadata: { action: "content_removed" },
    ...overrides,
  };
}

export interface ApiResponse {
  status: number;
  // deno-lint-ignore no-explicit-any
  body: any;
}

export interface CallInit {
  method?: string;
  token?: string;
  body?: unknown;
  rawBody?: string | Uint8Array;
  contentType?: string;
  query?: Record<string, string>;
  /** Below the function's own path: /functions/v1/<name><path>. */
  path?: string;
}

export const callAuditEvents = (init: CallInit) => callFunction("audit-events", init);

export async function callFunction(name: string, init: CallInit): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const hasBody = init.body !== undefined || init.rawBody !== undefined;
  if (hasBody) headers["content-type"] = init.contentType ?? "application/json";
  const response = await fetch(functionUrl(`${name}${init.path ?? ""}`, init.query), {
    method: init.method ?? (hasBody ? "POST" : "GET"),
    headers,
    body: (init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body))) as BodyInit | undefined,
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch { /* not JSON: kept as text so the assertion shows it */ }
  return { status: response.status, body };
}

export const appendAs = (token: string, organizationId: string, events: unknown[]) =>
  callAuditEvents({ token, body: { organization_id: organizationId, events } });

export async function countEvents(sql: postgres.Sql, organizationId: string): Promise<number> {
  const [{ count }] = await sql`select count(*)::int as count from public.audit_events where organization_id = ${organizationId}`;
  return count;
}

/** Reads the organisation's whole trail in seq order and verifies it, as a test oracle. */
export async function verifyTrail(sql: postgres.Sql, organizationId: string, ring = keyring()): Promise<ChainSummary> {
  const verifier = new ChainVerifier(organizationId, ring);
  const rows = await sql`
    select ${sql(entryColumns as unknown as string[])} from evident.audit_entries
    where organization_id = ${organizationId} order by seq`;
  for (const row of rows) verifier.push(toEntry(row));
  return verifier.summary();
}
