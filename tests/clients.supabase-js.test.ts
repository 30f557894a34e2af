// Every function called the way Supabase developers call it: supabase-js `functions.invoke`, with
// each kind of credential a project hands out. The legacy JWT keys (anon, service_role), the new
// API keys (sb_publishable_… acting as anon, sb_secret_… as the service role; supabase-js sends
// them in the apikey header and repeats them as the bearer token), and a signed-in user's JWT
// beside the publishable key. Every function's happy path succeeds for the callers it admits,
// and the publishable key alone (like the anon key) may not append or read anything.
import { createClient, FunctionsHttpError, type SupabaseClient } from "@supabase/supabase-js";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import ws from "ws";
import { appendAs, countEvents, createMember, createOrganization, sampleEvent, serviceToken, userToken } from "./support/api.ts";
import { sampleStatement } from "./support/sor.ts";
import { adminSql, testStack } from "./support/stack.ts";
import { startTdbServer, type TdbServer } from "./support/tdb-server.ts";

type Kind = "anon key" | "service_role key" | "publishable key" | "secret key" | "user JWT + publishable key";
const kinds: Kind[] = ["anon key", "service_role key", "publishable key", "secret key", "user JWT + publishable key"];

let sql: postgres.Sql;
let tdb: TdbServer;
let org: string;
let adminJwt: string;
let seededEventId: string;

function clientFor(kind: Kind): SupabaseClient {
  // Node 20 has no WebSocket of its own; supabase-js asks for `ws` there (realtime is not used here).
  const options = { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: ws as never } };
  switch (kind) {
    case "anon key": return createClient(testStack.apiUrl, testStack.anonKey, options);
    case "service_role key": return createClient(testStack.apiUrl, testStack.serviceRoleKey, options);
    case "publishable key": return createClient(testStack.apiUrl, testStack.publishableKey, options);
    case "secret key": return createClient(testStack.apiUrl, testStack.secretKey, options);
    // A signed-in member: the session's JWT as the bearer token, the publishable key as apikey.
    case "user JWT + publishable key": return createClient(testStack.apiUrl, testStack.publishableKey, { ...options, accessToken: async () => adminJwt });
  }
}

/** functions.invoke, answering the HTTP status and the JSON body for successes and refusals alike. */
async function invoke(kind: Kind, name: string, options: { method?: "GET" | "POST"; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const { data, error, response } = await clientFor(kind).functions.invoke(name, {
    method: options.method ?? (options.body === undefined ? "GET" : "POST"),
    ...(options.body === undefined ? {} : { body: options.body as Record<string, unknown> }),
  });
  if (error) {
    if (!(error instanceof FunctionsHttpError)) throw error;
    const refused = error.context as Response;
    return { status: refused.status, body: await refused.json() };
  }
  return { status: response!.status, body: data };
}

const query = (params: Record<string, string>) => new URLSearchParams(params).toString();

beforeAll(async () => {
  sql = adminSql();
  tdb = await startTdbServer({
    port: Number(new URL(testStack.tdbUrl).port),
    users: { [testStack.tdbToken]: { platformId: 7, platformName: "Evident test platform" } },
  });
  org = await createOrganization(sql, "supabase-js clients");
  adminJwt = await userToken(await createMember(sql, org, "admin"));
  const seeded = await appendAs(serviceToken(), org, [sampleEvent()]);
  expect(seeded.status).toBe(201);
  seededEventId = seeded.body.events[0].id;
});
afterAll(async () => {
  await tdb?.close();
  await sql?.end();
});

// Each function's happy path, and which credentials it admits (the rest get 403).
interface Case {
  name: string;
  admits: Kind[];
  call: (kind: Kind) => Promise<{ status: number; body: any }>;
  check: (answer: { status: number; body: any }) => void;
}

const services: Kind[] = ["service_role key", "secret key"];
const members: Kind[] = [...services, "user JWT + publishable key"];

const cases: Case[] = [
  {
    name: "health",
    admits: kinds,
    call: (kind) => invoke(kind, "health"),
    check: ({ status, body }) => {
      expect(status).toBe(200);
      expect(body.status).toBe("ok");
    },
  },
  {
    name: "audit-keys",
    admits: kinds,
    call: (kind) => invoke(kind, "audit-keys"),
    check: ({ status, body }) => {
      expect(status).toBe(200);
      expect(body.keys[0].algorithm).toBe("Ed25519");
    },
  },
  {
    name: "audit-events (append)",
    admits: members,
    call: (kind) => invoke(kind, "audit-events", { body: { organization_id: org, events: [sampleEvent({ idempotency_key: `js-${crypto.randomUUID()}` })] } }),
    check: ({ status, body }) => {
      expect(status).toBe(201);
      expect(body.events[0]).toMatchObject({ replayed: false });
    },
  },
  {
    name: "audit-events (read)",
    admits: members,
    call: (kind) => invoke(kind, `audit-events?${query({ organization_id: org, purpose: "supabase-js client test", limit: "5" })}`),
    check: ({ status, body }) => {
      expect(status).toBe(200);
      expect(body.events.length).toBeGreaterThan(0);
      expect(body.access_event.id).toMatch(/^[0-9a-f-]{36}$/);
    },
  },
  {
    name: "audit-verify",
    admits: members,
    call: (kind) => invoke(kind, `audit-verify?${query({ log_id: seededEventId })}`),
    check: ({ status, body }) => {
      expect(status).toBe(200);
      expect(body.valid).toBe(true);
    },
  },
  {
    name: "audit-maintenance",
    admits: services,
    call: (kind) => invoke(kind, "audit-maintenance", { body: { task: "verify", organization_id: org } }),
    check: ({ status, body }) => {
      expect(status).toBe(200);
      expect(body.task).toBe("verify");
    },
  },
  {
    name: "compliance-reports",
    admits: members,
    call: (kind) => invoke(kind, `compliance-reports/export/csv?${query({ organization_id: org, purpose: "supabase-js client test" })}`),
    check: ({ status, body }) => {
      expect(status).toBe(200);
      expect(String(body)).toMatch(/^[a-z_]+(,[a-z_]+)+\r?\n/);
    },
  },
  {
    name: "authority-requests",
    admits: members,
    call: (kind) => invoke(kind, `authority-requests?${query({ organization_id: org })}`),
    check: ({ status, body }) => {
      expect(status).toBe(200);
      expect(Array.isArray(body.requests)).toBe(true);
    },
  },
  {
    name: "legal-holds",
    admits: members,
    call: (kind) => invoke(kind, `legal-holds?${query({ organization_id: org })}`),
    check: ({ status, body }) => {
      expect(status).toBe(200);
      expect(Array.isArray(body.holds)).toBe(true);
    },
  },
  {
    name: "gdpr",
    admits: members,
    call: (kind) => invoke(kind, `gdpr/consent?${query({ organization_id: org, subject: "user-js", purpose: "supabase-js client test" })}`),
    check: ({ status, body }) => {
      expect(status).toBe(200);
      expect(body.subject).toBe("user-js");
    },
  },
  {
    name: "sor-submit",
    admits: services,
    // Queue one statement and send it in a pass, so nothing is left behind for other tests.
    call: async (kind) => {
      const statement = sampleStatement();
      const queued = await invoke(kind, "sor-submit", { body: { action: "enqueue", organization_id: org, statements: [statement] } });
      if (queued.status !== 201) return queued;
      const pass = await invoke(kind, "sor-submit", { body: { action: "submit" } });
      const [row] = await sql`select state from evident.sor_outbox where puid = ${statement.puid as string}`;
      return { status: pass.status, body: { ...pass.body, state: row.state } };
    },
    check: ({ status, body }) => {
      expect(status).toBe(200);
      expect(body.state).toBe("submitted");
    },
  },
];

describe("every function through supabase-js functions.invoke, with every kind of key", () => {
  for (const c of cases) {
    for (const kind of kinds) {
      const admitted = c.admits.includes(kind);
      it(`${c.name}: ${kind} ${admitted ? "succeeds" : "is refused with 403"}`, async () => {
        const answer = await c.call(kind);
        if (admitted) c.check(answer);
        else {
          expect(answer.status).toBe(403);
          expect(answer.body.error.code).toBe("forbidden");
        }
      });
    }
  }
});

describe("API keys the project did not issue", () => {
  it("a publishable key alone cannot append: nothing is written", async () => {
    const before = await countEvents(sql, org);
    const refused = await invoke("publishable key", "audit-events", { body: { organization_id: org, events: [sampleEvent()] } });
    expect(refused.status).toBe(403);
    expect(await countEvents(sql, org)).toBe(before);
  });

  it("refuses unknown sb_ keys, a key only in Authorization, and a bearer key that differs from apikey", async () => {
    const url = `${testStack.apiUrl}/functions/v1/health`;
    const statusOf = async (headers: Record<string, string>) => {
      const response = await fetch(url, { headers });
      const body = await response.json();
      return [response.status, body.error?.code];
    };
    expect(await statusOf({ apikey: "sb_secret_thisisnotthekeyofthisproject0" })).toEqual([401, "unauthorized"]);
    expect(await statusOf({ apikey: "sb_publishable_thisisnotthekeyofthisproject" })).toEqual([401, "unauthorized"]);
    expect(await statusOf({ authorization: `Bearer ${testStack.secretKey}` })).toEqual([401, "unauthorized"]);
    expect(await statusOf({ apikey: testStack.publishableKey, authorization: `Bearer ${testStack.secretKey}` })).toEqual([401, "unauthorized"]);
    // An unknown key beside a valid user JWT is refused too: the apikey is checked whenever present.
    expect(await statusOf({ apikey: "sb_publishable_thisisnotthekeyofthisproject", authorization: `Bearer ${adminJwt}` })).toEqual([401, "unauthorized"]);
    expect(await statusOf({})).toEqual([401, "unauthorized"]);
    // The same calls with the project's keys pass.
    expect(await statusOf({ apikey: testStack.secretKey })).toEqual([200, undefined]);
    expect(await statusOf({ apikey: testStack.publishableKey })).toEqual([200, undefined]);
  });

  it("the secret key sent by hand in the apikey header (no Authorization) appends as the service role", async () => {
    const before = await countEvents(sql, org);
    const response = await fetch(`${testStack.apiUrl}/functions/v1/audit-events`, {
      method: "POST",
      headers: { apikey: testStack.secretKey, "content-type": "application/json" },
      body: JSON.stringify({ organization_id: org, events: [sampleEvent()] }),
    });
    expect(response.status).toBe(201);
    expect(await countEvents(sql, org)).toBe(before + 1);
  });
});
