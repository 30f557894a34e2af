// Issue 18 (2): every route of every function, sent a few hundred hostile requests over real HTTP
// (bad percent-encodings and NUL bytes in paths and queries, huge and deeply nested JSON, invalid
// UTF-8, wrong types, duplicate keys and parameters, wrong methods and content types), as the
// service role, a member, a non-member, anon and nobody. None may answer 5xx, every refusal is a
// JSON error, and nothing is stored anywhere. Bounded: a few hundred requests, well under a minute.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callFunction, createMember, createOrganization, createUser, serviceToken, userToken } from "./support/api.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());

let org: string;
const tokens: Record<string, string | undefined> = {};
beforeAll(async () => {
  org = await createOrganization(sql, "hostile requests");
  tokens.service = serviceToken();
  tokens.admin = await userToken(await createMember(sql, org, "admin"));
  tokens.outsider = await userToken(await createUser(sql));
  tokens.anon = testStack.anonKey;
  tokens.none = undefined;
});

/** Everything a request could leave behind: the trail and every table written beside it. */
const storedTables = [
  "public.audit_events", "evident.idempotency_keys", "evident.chain_heads", "evident.checkpoints", "public.partition_manifests",
  "evident.authority_requests", "evident.legal_holds", "evident.sor_outbox", "evident.personal_data", "evident.retention_tombstones",
  "evident.access_log",
];
async function stored(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of storedTables) {
    const [{ count }] = await sql.unsafe(`select count(*)::int as count from ${table}`);
    counts[table] = count;
  }
  return counts;
}

// A plausible body per route, so that one mutation at a time reaches deep into validation.
type Template = Record<string, unknown>;
interface Route {
  fn: string;
  path: string;
  method: string;
  body?: () => Template;
  query?: () => Record<string, string>;
  /** The route takes an id in its path: …/<id>/<action>. */
  idAction?: string;
}
const period = { start: "2026-01-01T00:00:00Z", end: "2026-02-01T00:00:00Z" };
const routes: Route[] = [
  { fn: "audit-events", path: "", method: "POST", body: () => ({ organization_id: org, events: [{ event_type: "decision_made", actor_id: "m", actor_type: "user", target_id: "t", target_type: "content", action: "remove", metadata: { action: "content_removed" } }] }) },
  { fn: "audit-events", path: "", method: "GET", query: () => ({ organization_id: org, purpose: "fuzzing the read path", limit: "10" }) },
  { fn: "audit-verify", path: "", method: "GET", query: () => ({ organization_id: org, ...period }) },
  { fn: "audit-verify", path: "", method: "GET", query: () => ({ log_id: crypto.randomUUID() }) },
  { fn: "audit-keys", path: "", method: "GET", query: () => ({}) },
  { fn: "health", path: "", method: "GET", query: () => ({}) },
  { fn: "audit-maintenance", path: "", method: "POST", body: () => ({ task: "verify", organization_id: org, since: period.start }) },
  { fn: "authority-requests", path: "", method: "POST", body: () => ({ organization_id: org, authority: "A", legal_basis: "DSA Art. 40(1)", scope: period, response_deadline: "2027-01-01T00:00:00Z" }) },
  { fn: "authority-requests", path: "", method: "GET", query: () => ({ organization_id: org }) },
  { fn: "authority-requests", path: "", method: "POST", idAction: "respond" },
  { fn: "legal-holds", path: "", method: "POST", body: () => ({ organization_id: org, scope: "subject", subject_id: "s", reason: "litigation" }) },
  { fn: "legal-holds", path: "", method: "GET", query: () => ({ organization_id: org, active: "true" }) },
  { fn: "legal-holds", path: "", method: "POST", idAction: "release", body: () => ({ reason: "settled" }) },
  { fn: "compliance-reports", path: "/report/soc2/ORG", method: "GET", query: () => ({ purpose: "fuzzing reports", ...period }) },
  { fn: "compliance-reports", path: "/report/quarterly/ORG", method: "GET", query: () => ({ purpose: "fuzzing reports", quarter: "2026-Q1" }) },
  { fn: "compliance-reports", path: "/export/csv", method: "GET", query: () => ({ organization_id: org, purpose: "fuzzing reports" }) },
  { fn: "compliance-reports", path: "/export/gdpr", method: "GET", query: () => ({ organization_id: org, purpose: "fuzzing reports", subject: "s" }) },
  { fn: "sor-submit", path: "", method: "POST", body: () => ({ action: "enqueue", organization_id: org, statements: [{ decision_visibility: ["DECISION_VISIBILITY_CONTENT_REMOVED"] }] }) },
  { fn: "gdpr", path: "/erase", method: "POST", body: () => ({ organization_id: org, subject_id: "s", request_reference: "r" }) },
  { fn: "gdpr", path: "/anonymise", method: "POST", body: () => ({ organization_id: org }) },
  { fn: "gdpr", path: "/consent", method: "GET", query: () => ({ organization_id: org, subject: "s", purpose: "fuzzing consent" }) },
];

// Path ids that are not UUIDs, most of them not even valid percent-encoded UTF-8.
const badIds = ["%", "%F", "%FF", "%ED%A0%80", "%C0%80", "%E0%80%80", "%00", "a%00b", "%25", "%2F", "..", "%2e%2e", "%uD800", "%%", "%ZZ",
  "00000000-0000-0000-0000-00000000000%", "00000000-0000-0000-0000-0000000000%00", "%F0%9F%98", encodeURIComponent("x".repeat(300))];
const hostileStrings = fc.oneof(
  fc.constantFrom("\u0000", "a\u0000b", "\ud800", "\udfff", "%", "%FF", "%ED%A0%80", "💥".repeat(50), "x".repeat(20_000), "", " ", "null", "-1", "1e999", "NaN"),
  fc.string({ maxLength: 40 }).map((s) => `${s}\u0000`),
  fc.string({ unit: "binary", maxLength: 30 }),
);
const deep = (depth: number, kind: "array" | "object") => (kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth));
/** The template as raw JSON with one field replaced by raw JSON text (too deep for JSON.stringify). */
const withRawField = (template: Template, key: string, raw: string) => {
  const rest = Object.entries(template).filter(([k]) => k !== key).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
  return `{${[...rest, `${JSON.stringify(key)}:${raw}`].join(",")}}`;
};
/** A value of another JSON type than the template's (so the field is certainly wrong). */
const wrongType = (value: unknown) => fc.constantFrom<unknown>(
  ...[0, -1, 1.5, true, null, [], {}, "text", [1, "a"], { a: 1 }].filter((candidate) =>
    typeof candidate !== typeof value || Array.isArray(candidate) !== Array.isArray(value) || (candidate === null) !== (value === null)),
);

interface Hostile {
  route: Route;
  token: string;
  method?: string;
  path?: string;
  query?: Record<string, string>;
  rawQuery?: string;
  body?: unknown;
  rawBody?: string | Uint8Array;
  contentType?: string;
  label: string;
}

function pathOf(route: Route): string {
  return route.path.replace("ORG", org);
}

const hostileFor = (route: Route): fc.Arbitrary<Omit<Hostile, "token">> => {
  const options: Array<fc.Arbitrary<Omit<Hostile, "token">>> = [];
  const base = { route, method: route.method };
  // Wrong methods.
  options.push(fc.constantFrom("PUT", "PATCH", "DELETE", route.method === "GET" ? "POST" : "GET")
    .filter((method) => !(route.fn.match(/authority-requests|legal-holds|audit-events/) && !route.idAction && (method === "GET" || method === "POST")))
    .map((method) => ({ ...base, method, path: pathOf(route), label: "wrong method" })));
  if (route.idAction) {
    options.push(fc.constantFrom(...badIds).map((id) => ({ ...base, path: `/${id}/${route.idAction}`, body: route.body?.(), label: "bad path id" })));
    options.push(fc.constantFrom(...badIds).map((id) => ({ ...base, path: `/${crypto.randomUUID()}/${id}`, body: route.body?.(), label: "bad path action" })));
  } else {
    // (Without the route's body or query: a function with no sub-routes may ignore its path.)
    options.push(fc.constantFrom(...badIds).map((segment) => ({ ...base, path: `${pathOf(route)}/${segment}`, label: "extra path segment" })));
  }
  if (route.path.includes("ORG")) {
    options.push(fc.constantFrom(...badIds).map((id) => ({ ...base, path: route.path.replace("ORG", id), query: route.query?.(), label: "bad path organization" })));
  }
  if (route.query) {
    const query = route.query;
    const keys = Object.keys(query());
    if (keys.length > 0) {
      // Each ends in U+0000, which no parameter accepts, so the request is certainly invalid.
      options.push(fc.tuple(fc.constantFrom(...keys), hostileStrings).map(([key, value]) => ({ ...base, path: pathOf(route), query: { ...query(), [key]: `${value}\u0000` }, label: `hostile ${key}` })));
      options.push(fc.constantFrom(...keys).map((key) => {
        const params = new URLSearchParams(query());
        params.append(key, key === "organization_id" ? crypto.randomUUID() : String(params.get(key)));
        return { ...base, path: pathOf(route), rawQuery: params.toString(), label: `duplicate ${key}` };
      }));
      options.push(fc.constantFrom(...keys).map((key) => {
        const params = new URLSearchParams(query());
        return { ...base, path: pathOf(route), rawQuery: `${params.toString()}&${key}=%ZZ%FF%ED%A0%80`, label: `duplicate ${key} with bad encoding` };
      }));
    }
    options.push(fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), hostileStrings).filter(([key]) => !keys.includes(key))
      .map(([key, value]) => ({ ...base, path: pathOf(route), query: { ...query(), [key]: value }, label: "unknown parameter" })));
  }
  if (route.method === "POST") {
    const template: () => Template = route.body ?? (() => ({}));
    const keys = Object.keys(template());
    if (keys.length > 0) {
      options.push(fc.constantFrom(...keys).chain((key) => wrongType(template()[key]).map((value) => ({
        ...base, path: route.idAction ? `/${crypto.randomUUID()}/${route.idAction}` : pathOf(route), body: { ...template(), [key]: value }, label: `wrong type for ${key}` }))));
      options.push(fc.tuple(fc.constantFrom(...keys), hostileStrings).map(([key, value]) => ({
        ...base, path: route.idAction ? `/${crypto.randomUUID()}/${route.idAction}` : pathOf(route), body: { ...template(), [key]: `${value}\u0000` }, label: `NUL in ${key}` })));
      options.push(fc.tuple(fc.constantFrom(...keys), fc.integer({ min: 1000, max: 20_000 })).map(([key, depth]) => ({
        ...base, path: route.idAction ? `/${crypto.randomUUID()}/${route.idAction}` : pathOf(route),
        rawBody: withRawField(template(), key, '{"a":['.repeat(depth) + "1" + "]}".repeat(depth)), label: `deeply nested ${key}` })));
      // Duplicate keys: both values wrong, so whichever a parser keeps, the request is invalid.
      options.push(fc.constantFrom(...keys).map((key) => {
        const raw = withRawField(template(), key, "12");
        return { ...base, path: route.idAction ? `/${crypto.randomUUID()}/${route.idAction}` : pathOf(route), rawBody: `${raw.slice(0, -1)},${JSON.stringify(key)}:[null]}`, label: `duplicate key ${key}` };
      }));
    }
    options.push(fc.constantFrom<[string | Uint8Array, string]>(
      [deep(100_000, "array"), "deep array"], [deep(100_000, "object"), "deep object"], ["{", "truncated"], ["\u0000{}", "NUL before JSON"],
      [new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), "invalid UTF-8"], [new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d, 0xed, 0xa0, 0x80]), "BOM and a surrogate"],
      ['"\\ud800"', "lone surrogate string"], ["1e99999", "huge number"], [`[${"1,".repeat(200_000)}1]`, "huge array"],
      [JSON.stringify({ a: "x".repeat(9 * 1024 * 1024) }), "9 MiB body"],
    ).map(([rawBody, what]) => ({ ...base, path: route.idAction ? `/${crypto.randomUUID()}/${route.idAction}` : pathOf(route), rawBody, label: what })));
    options.push(fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp", "").map((contentType) => ({
      ...base, path: route.idAction ? `/${crypto.randomUUID()}/${route.idAction}` : pathOf(route), rawBody: JSON.stringify(template()), contentType, label: `content type ${contentType}` })));
  }
  return fc.oneof(...options);
};

const hostile: fc.Arbitrary<Hostile> = fc.constantFrom(...routes.keys())
  .chain((index) => hostileFor(routes[index]))
  .chain((request) => fc.constantFrom("service", "admin", "outsider", "anon", "none").map((who) => ({ ...request, token: who })));

async function send(request: Hostile) {
  const query = request.rawQuery !== undefined ? undefined : request.query;
  const path = `${request.path ?? ""}${request.rawQuery !== undefined ? `?${request.rawQuery}` : ""}`;
  if (request.rawQuery !== undefined || /%/.test(path)) {
    // Sent exactly as written: URL parsing would re-encode what the test means to send broken.
    const url = `${testStack.apiUrl}/functions/v1/${request.route.fn}${path}`;
    const headers: Record<string, string> = {};
    const token = tokens[request.token];
    if (token) headers.authorization = `Bearer ${token}`;
    const hasBody = request.body !== undefined || request.rawBody !== undefined;
    if (hasBody) headers["content-type"] = request.contentType ?? "application/json";
    const response = await fetch(url, {
      method: request.method ?? request.route.method,
      headers,
      body: hasBody && request.method !== "GET" ? (request.rawBody ?? JSON.stringify(request.body)) as BodyInit : undefined,
    });
    const text = await response.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* kept as text */ }
    return { status: response.status, body };
  }
  const method = request.method ?? request.route.method;
  return await callFunction(request.route.fn, {
    method,
    token: tokens[request.token],
    path,
    query,
    ...(method === "GET" || method === "HEAD" ? {} : { body: request.body, rawBody: request.rawBody, contentType: request.contentType }),
  });
}

describe("hostile requests to every function", () => {
  it("the three reported path ids answer 400, not 500", async () => {
    for (const [fn, path, body] of [
      ["legal-holds", "/%ED%A0%80/release", { reason: "settled" }],
      ["legal-holds", "/%/release", { reason: "settled" }],
      ["authority-requests", "/%FF/respond", undefined],
    ] as const) {
      const response = await fetch(`${testStack.apiUrl}/functions/v1/${fn}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${serviceToken()}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(response.status, `${fn}${path}`).toBe(400);
      expect((await response.json()).error.code).toBe("invalid_request");
    }
  });

  it("400 of them: no 5xx, every refusal a JSON error, nothing stored", async () => {
    const before = await stored();
    const seen = new Map<string, number>();
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(hostile, async (request) => {
        const response = await send(request);
        const what = JSON.stringify({ fn: request.route.fn, method: request.method, path: request.path, label: request.label, token: request.token, status: response.status, body: response.body }).slice(0, 600);
        seen.set(`${request.route.fn} ${response.status}`, (seen.get(`${request.route.fn} ${response.status}`) ?? 0) + 1);
        expect(response.status, what).toBeLessThan(500);
        if (response.status >= 400) {
          // The functions' own refusals carry {error: {code, message}}; the gateway's 401 {code, message}.
          const body = response.body as { error?: { message?: unknown }; message?: unknown };
          expect(typeof (body?.error?.message ?? body?.message), what).toBe("string");
        } else {
          // Only what reads nothing and writes nothing may succeed.
          expect(["audit-keys", "health"], what).toContain(request.route.fn);
        }
      }),
      { numRuns: 400, seed: Number(process.env.EVIDENT_FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    expect(await stored()).toEqual(before);
    expect(Date.now() - started).toBeLessThan(60_000);
    console.log("hostile statuses:", Object.fromEntries([...seen].sort()));
  }, 120_000);
});
