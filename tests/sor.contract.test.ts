// The local Transparency Database rejects what the Commission's API rejects. Each case below is a
// hand-written statement that breaks one rule of app/Http/Requests/StatementStoreRequest.php /
// GroupedSubmissionsService::multi_rules() (the rule string is quoted), posted straight to the
// server over HTTP, to both the single and the batch route, without going through our client. The
// accepted cases are statements the PHP rules let through (exclusions, alternatives), so a server
// that refuses too much fails too.
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { statementErrors } from "../supabase/functions/_shared/sor/contract.ts";
import * as enums from "../supabase/functions/_shared/sor/enums.ts";
import { incompatibleStatement, newPuid, sampleStatement, without } from "./support/sor.ts";
import { startTdbServer, type TdbServer } from "./support/tdb-server.ts";

let tdb: TdbServer;
const token = "platform-1-token";

beforeAll(async () => {
  tdb = await startTdbServer({
    users: {
      [token]: { platformId: 1, platformName: "Acme" },
      "platform-2-token": { platformId: 2 },
      "viewer-token": { platformId: 1, permissions: ["view statements"] },
      "no-platform-token": { platformId: null },
    },
  });
});
afterAll(async () => await tdb.close());
beforeEach(() => tdb.reset());

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${tdb.url}${path}`, {
    method,
    redirect: "manual",
    headers: { authorization: `Bearer ${token}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}
const postOne = (statement: unknown, headers?: Record<string, string>) => call("POST", "/api/v1/statement", statement, headers);
const postBatch = (statements: unknown, headers?: Record<string, string>) => call("POST", "/api/v1/statements", { statements }, headers);

const long = (n: number) => "x".repeat(n);

// [rule in the Commission's source, the statement, the fields that must be reported]
const rejected: Array<[string, () => Record<string, unknown>, string[]]> = [
  ["decision_ground 'required'", () => without(sampleStatement(), "decision_ground"), ["decision_ground"]],
  ["decision_ground in:<keys> (a label is not a key)", () => sampleStatement({ decision_ground: "Illegal Content" }), ["decision_ground"]],
  ["illegal_content_legal_ground 'required_if:decision_ground,DECISION_GROUND_ILLEGAL_CONTENT'", () => without(sampleStatement(), "illegal_content_legal_ground"), ["illegal_content_legal_ground"]],
  ["illegal_content_explanation 'required_if:…ILLEGAL_CONTENT'", () => without(sampleStatement(), "illegal_content_explanation"), ["illegal_content_explanation"]],
  ["illegal_content_legal_ground 'max:500'", () => sampleStatement({ illegal_content_legal_ground: long(501) }), ["illegal_content_legal_ground"]],
  ["illegal_content_explanation 'max:2000'", () => sampleStatement({ illegal_content_explanation: long(2001) }), ["illegal_content_explanation"]],
  ["incompatible_content_ground 'required_if:…INCOMPATIBLE_CONTENT'", () => without(incompatibleStatement(), "incompatible_content_ground"), ["incompatible_content_ground"]],
  ["incompatible_content_explanation 'required_if:…INCOMPATIBLE_CONTENT'", () => without(incompatibleStatement(), "incompatible_content_explanation"), ["incompatible_content_explanation"]],
  ["incompatible_content_explanation 'max:2000'", () => incompatibleStatement({ incompatible_content_explanation: long(2001) }), ["incompatible_content_explanation"]],
  ["incompatible_content_illegal in:Yes,No", () => incompatibleStatement({ incompatible_content_illegal: "Maybe" }), ["incompatible_content_illegal"]],
  ["decision_* 'required_without_all' (no restriction at all)", () => without(sampleStatement(), "decision_visibility"),
    ["decision_visibility", "decision_monetary", "decision_provision", "decision_account"]],
  ["decision_* 'required_without_all' (an empty list is not a restriction)", () => sampleStatement({ decision_visibility: [] }),
    ["decision_visibility", "decision_monetary", "decision_provision", "decision_account"]],
  ["decision_visibility 'array'", () => sampleStatement({ decision_visibility: "DECISION_VISIBILITY_CONTENT_REMOVED" }), ["decision_visibility"]],
  ["decision_visibility in:null,<keys>", () => sampleStatement({ decision_visibility: ["DECISION_VISIBILITY_CONTENT_REMOVED", "REMOVED"] }), ["decision_visibility"]],
  ["decision_visibility_other Rule::requiredIf(DECISION_VISIBILITY_OTHER)", () => sampleStatement({ decision_visibility: ["DECISION_VISIBILITY_OTHER"] }), ["decision_visibility_other"]],
  ["decision_visibility_other 'max:500'", () => sampleStatement({ decision_visibility: ["DECISION_VISIBILITY_OTHER"], decision_visibility_other: long(501) }), ["decision_visibility_other"]],
  ["decision_monetary in:null,<keys>", () => sampleStatement({ decision_monetary: "DECISION_MONETARY_FINE" }), ["decision_monetary"]],
  ["decision_monetary_other 'required_if:decision_monetary,DECISION_MONETARY_OTHER'", () => sampleStatement({ decision_monetary: "DECISION_MONETARY_OTHER" }), ["decision_monetary_other"]],
  ["decision_provision in:null,<keys>", () => sampleStatement({ decision_provision: "DECISION_PROVISION_SUSPENSION" }), ["decision_provision"]],
  ["decision_account in:null,<keys>", () => sampleStatement({ decision_account: "DECISION_ACCOUNT_BANNED" }), ["decision_account"]],
  ["account_type in:null,<keys>", () => sampleStatement({ account_type: "Business" }), ["account_type"]],
  ["category_specification in:null,<KEYWORDS>", () => sampleStatement({ category_specification: ["KEYWORD_NOT_A_KEYWORD"] }), ["category_specification"]],
  ["category_specification 'array'", () => sampleStatement({ category_specification: "KEYWORD_HATE_SPEECH" }), ["category_specification"]],
  ["category_specification_other 'max:500'", () => sampleStatement({ category_specification_other: long(501) }), ["category_specification_other"]],
  ["decision_ground_reference_url 'url'", () => sampleStatement({ decision_ground_reference_url: "not a url" }), ["decision_ground_reference_url"]],
  ["decision_ground_reference_url 'max:500'", () => sampleStatement({ decision_ground_reference_url: `https://example.com/${long(490)}` }), ["decision_ground_reference_url"]],
  ["content_type 'required'", () => without(sampleStatement(), "content_type"), ["content_type"]],
  ["content_type 'required' (empty list)", () => sampleStatement({ content_type: [] }), ["content_type"]],
  ["content_type 'array'", () => sampleStatement({ content_type: "CONTENT_TYPE_TEXT" }), ["content_type"]],
  ["content_type in:<keys>", () => sampleStatement({ content_type: ["CONTENT_TYPE_HOLOGRAM"] }), ["content_type"]],
  ["content_type_other Rule::requiredIf(CONTENT_TYPE_OTHER)", () => sampleStatement({ content_type: ["CONTENT_TYPE_OTHER"] }), ["content_type_other"]],
  ["category 'required'", () => without(sampleStatement(), "category"), ["category"]],
  ["category in:<STATEMENT_CATEGORIES>", () => sampleStatement({ category: "STATEMENT_CATEGORY_SPAM" }), ["category"]],
  ["category_addition in:<STATEMENT_CATEGORIES>", () => sampleStatement({ category_addition: ["STATEMENT_CATEGORY_SPAM"] }), ["category_addition"]],
  ["category_addition 'array' (not nullable)", () => sampleStatement({ category_addition: null }), ["category_addition"]],
  ["territorial_scope in:<EUROPEAN_COUNTRY_CODES>", () => sampleStatement({ territorial_scope: ["DE", "US"] }), ["territorial_scope"]],
  ["territorial_scope 'array'", () => sampleStatement({ territorial_scope: "DE" }), ["territorial_scope"]],
  ["content_language in:<ALL_LANGUAGES>", () => sampleStatement({ content_language: "de" }), ["content_language"]],
  ["content_date 'required'", () => without(sampleStatement(), "content_date"), ["content_date"]],
  ["content_date 'date_format:Y-m-d'", () => sampleStatement({ content_date: "01/11/2026" }), ["content_date"]],
  ["content_date 'date_format:Y-m-d' (no such day)", () => sampleStatement({ content_date: "2026-02-30" }), ["content_date"]],
  ["content_date 'date_format:Y-m-d' (a time is not a date)", () => sampleStatement({ content_date: "2026-11-01T10:00:00Z" }), ["content_date"]],
  ["content_date 'after_or_equal:2000-01-01'", () => sampleStatement({ content_date: "1999-12-31" }), ["content_date"]],
  ["content_date 'before_or_equal:2038-01-01'", () => sampleStatement({ content_date: "2038-01-02" }), ["content_date"]],
  ["application_date 'required'", () => without(sampleStatement(), "application_date"), ["application_date"]],
  ["application_date 'after_or_equal:2020-01-01'", () => sampleStatement({ application_date: "2019-12-31" }), ["application_date"]],
  ["application_date 'before_or_equal:2038-01-01'", () => sampleStatement({ application_date: "2040-01-01" }), ["application_date"]],
  ["end_date_account_restriction 'date_format:Y-m-d'", () => sampleStatement({ end_date_account_restriction: "tomorrow" }), ["end_date_account_restriction"]],
  ["end_date_account_restriction 'before_or_equal:2038-01-01'", () => sampleStatement({ end_date_account_restriction: "2038-01-02" }), ["end_date_account_restriction"]],
  ["end_date_monetary_restriction 'date_format:Y-m-d'", () => sampleStatement({ end_date_monetary_restriction: "2026-13-01" }), ["end_date_monetary_restriction"]],
  ["end_date_service_restriction 'before_or_equal:2038-01-01'", () => sampleStatement({ end_date_service_restriction: "2099-01-01" }), ["end_date_service_restriction"]],
  ["end_date_visibility_restriction 'date_format:Y-m-d'", () => sampleStatement({ end_date_visibility_restriction: "2026-1-5" }), ["end_date_visibility_restriction"]],
  ["decision_facts 'required'", () => without(sampleStatement(), "decision_facts"), ["decision_facts"]],
  ["decision_facts 'required' (whitespace only)", () => sampleStatement({ decision_facts: "   " }), ["decision_facts"]],
  ["decision_facts 'max:5000'", () => sampleStatement({ decision_facts: long(5001) }), ["decision_facts"]],
  ["source_type 'required'", () => without(sampleStatement(), "source_type"), ["source_type"]],
  ["source_type in:<SOURCE_TYPES>", () => sampleStatement({ source_type: "SOURCE_USER" }), ["source_type"]],
  ["source_identity 'max:500'", () => sampleStatement({ source_identity: long(501) }), ["source_identity"]],
  ["automated_detection 'required'", () => without(sampleStatement(), "automated_detection"), ["automated_detection"]],
  ["automated_detection in:Yes,No (case matters)", () => sampleStatement({ automated_detection: "yes" }), ["automated_detection"]],
  ["automated_decision in:<keys>", () => sampleStatement({ automated_decision: "Fully automated" }), ["automated_decision"]],
  ["puid 'required'", () => without(sampleStatement(), "puid"), ["puid"]],
  ["puid 'regex:/^[a-zA-Z0-9-_]+$/D' (space)", () => sampleStatement({ puid: "has space" }), ["puid"]],
  ["puid 'regex' (slash)", () => sampleStatement({ puid: "a/b" }), ["puid"]],
  ["puid 'regex' (a newline inside; one at the end TrimStrings would remove)", () => sampleStatement({ puid: "ab\ncd" }), ["puid"]],
  ["puid 'max:500'", () => sampleStatement({ puid: long(501) }), ["puid"]],
  ["puid 'required' (TrimStrings + ConvertEmptyStringsToNull make blanks null)", () => sampleStatement({ puid: "   " }), ["puid"]],
  ["content_type in:<keys> (an empty element becomes null)", () => sampleStatement({ content_type: ["CONTENT_TYPE_TEXT", ""] }), ["content_type"]],
  ["content_id_ean 'regex:/^[0-9]{13}$/'", () => sampleStatement({ content_id_ean: "123" }), ["content_id_ean"]],
  ["content_id.EAN-13 'regex:/^[0-9]{13}$/'", () => sampleStatement({ content_id: { "EAN-13": "97800000000" } }), ["content_id.EAN-13"]],
];

const accepted: Array<[string, () => Record<string, unknown>]> = [
  ["the sample statement", () => sampleStatement()],
  ["only an account restriction, on the terms-and-conditions ground", () => incompatibleStatement()],
  ["only a monetary restriction", () => sampleStatement({ decision_visibility: null, decision_monetary: "DECISION_MONETARY_SUSPENSION" })],
  ["only a service restriction", () => without(sampleStatement({ decision_provision: "DECISION_PROVISION_TOTAL_SUSPENSION" }), "decision_visibility")],
  ["DECISION_MONETARY_OTHER with its text", () => sampleStatement({ decision_monetary: "DECISION_MONETARY_OTHER", decision_monetary_other: "Demonetised for 30 days" })],
  ["DECISION_VISIBILITY_OTHER with its text", () => sampleStatement({ decision_visibility: ["DECISION_VISIBILITY_OTHER"], decision_visibility_other: "Shadow label" })],
  ["CONTENT_TYPE_OTHER with its text", () => sampleStatement({ content_type: ["CONTENT_TYPE_OTHER", "CONTENT_TYPE_VIDEO"], content_type_other: "Livestream" })],
  ["exclude_unless: incompatible fields of any length are ignored on the illegal-content ground", () => sampleStatement({ incompatible_content_ground: long(900), incompatible_content_illegal: "Maybe" })],
  ["exclude_unless: illegal fields are ignored on the incompatible ground", () => incompatibleStatement({ illegal_content_explanation: long(3000) })],
  ["Rule::excludeIf: decision_visibility_other is ignored without DECISION_VISIBILITY_OTHER", () => sampleStatement({ decision_visibility_other: long(900) })],
  ["nullable optional fields as null", () => sampleStatement({ account_type: null, content_language: null, territorial_scope: null, end_date_account_restriction: null, decision_ground_reference_url: null, content_id_ean: null })],
  ["every date at its bounds", () => sampleStatement({ content_date: "2000-01-01", application_date: "2038-01-01", end_date_visibility_restriction: "2038-01-01" })],
  ["no date ordering between fields (content after application is accepted by the code)", () => sampleStatement({ content_date: "2030-01-01", application_date: "2021-01-01", end_date_account_restriction: "2020-06-01" })],
  ["a 500-character puid of every allowed character", () => sampleStatement({ puid: `aZ09-_${"q".repeat(494)}` })],
  ["EAN-13 in content_id", () => sampleStatement({ content_id: { "EAN-13": "9780000000002" } })],
  ["an unknown extra field (Laravel ignores it)", () => sampleStatement({ our_internal_ref: 42 })],
  ["empty optional strings (ConvertEmptyStringsToNull makes them null)", () => sampleStatement({ account_type: "", content_language: "", decision_ground_reference_url: "", end_date_service_restriction: "" })],
  ["values with surrounding whitespace (TrimStrings trims them first)", () => sampleStatement({ decision_ground: " DECISION_GROUND_ILLEGAL_CONTENT ", content_date: "2026-11-01\n" })],
  ["the incompatible ground with the illegal flag", () => incompatibleStatement({ incompatible_content_illegal: "Yes", source_type: "SOURCE_VOLUNTARY" })],
];

describe("the local Transparency Database refuses what the Commission's rules refuse", () => {
  it.each(rejected)("%s", async (_rule, make, fields) => {
    const statement = make();
    const one = await postOne(statement);
    expect(one.status).toBe(422);
    expect(typeof one.body.message).toBe("string");
    expect(Object.keys(one.body.errors).sort()).toEqual([...fields].sort());
    for (const field of fields) expect(one.body.errors[field].every((m: unknown) => typeof m === "string")).toBe(true);

    const batch = await postBatch([sampleStatement(), statement]);
    expect(batch.status).toBe(422);
    expect(Object.keys(batch.body.errors)).toEqual(["statement_1"]);
    expect(Object.keys(batch.body.errors.statement_1).sort()).toEqual([...fields].sort());
    expect(tdb.storeCount.size).toBe(0);
  });

  it.each(accepted)("accepts %s", async (_case, make) => {
    const statement = make();
    const one = await postOne(statement);
    expect(one.body).toMatchObject({ puid: statement.puid });
    expect(one.status).toBe(201);
    const again = make();
    again.puid = newPuid();
    const batch = await postBatch([again]);
    expect(batch.status).toBe(201);
    expect(batch.body.statements[0].puid).toBe(again.puid);
    expect(batch.body.statements[0].uuid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers a refused statement with Laravel's message and the Commission's own wording", async () => {
    const one = await postOne(without(sampleStatement({ puid: "bad puid", content_date: "2026/11/01" }), "decision_ground"));
    expect(one.body.errors.puid).toEqual(["The puid format is invalid."]);
    expect(one.body.errors.content_date[0]).toBe("The content date does not match the format YYYY-MM-DD.");
    expect(one.body.errors.decision_ground).toEqual(["The decision ground field is required."]);
    expect(one.body.message).toMatch(/ \(and \d+ more errors\)$/);
  });

  it("checks the puid rule, after trimming, for any string (property)", () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (puid) => {
      const trimmed = puid.replace(/^[\s\uFEFF\u200B\u200E]+|[\s\uFEFF\u200B\u200E]+$/gu, "");
      const ok = /^[a-zA-Z0-9_-]+$/.test(trimmed) && trimmed.length <= 500;
      expect(Object.hasOwn(statementErrors(sampleStatement({ puid })), "puid")).toBe(!ok);
    }), { numRuns: 500 });
  });
});

describe("routes, auth and puid uniqueness as the Commission's controllers do them", () => {
  it("401 without a token or with an unknown one; a redirect to the login page without Accept: application/json", async () => {
    expect((await postOne(sampleStatement(), { authorization: "" })).status).toBe(401);
    const unknown = await postOne(sampleStatement(), { authorization: "Bearer nope" });
    expect(unknown).toMatchObject({ status: 401, body: { message: "Unauthenticated." } });
    const html = await fetch(`${tdb.url}/api/v1/statement`, { method: "POST", redirect: "manual", headers: { authorization: "Bearer nope" } });
    expect(html.status).toBe(302);
    expect(html.headers.get("location")).toMatch(/\/login$/);
  });

  it("403 for a user without the permission, or without a platform", async () => {
    expect(await postOne(sampleStatement(), { authorization: "Bearer viewer-token" })).toMatchObject({ status: 403, body: { message: "This action is unauthorized." } });
    expect((await postOne(sampleStatement(), { authorization: "Bearer no-platform-token" })).status).toBe(403);
  });

  it("a puid is unique per platform: single route", async () => {
    const statement = sampleStatement();
    expect((await postOne(statement)).status).toBe(201);
    const again = await postOne(statement);
    expect(again).toMatchObject({
      status: 422,
      body: { message: "The identifier given is not unique within this platform.", errors: { puid: ["The identifier given is not unique within this platform."] }, existing: { puid: statement.puid } },
    });
    expect((await postOne(statement, { authorization: "Bearer platform-2-token" })).status).toBe(201);
  });

  it("a batch is all or nothing: duplicates within the call, or already stored, refuse the whole batch", async () => {
    const a = sampleStatement();
    const b = sampleStatement();
    const inCall = await postBatch([a, b, { ...b }]);
    expect(inCall).toMatchObject({ status: 422, body: { errors: { existing_puids: [b.puid] } } });
    expect(tdb.storeCount.size).toBe(0);
    expect((await postBatch([a])).status).toBe(201);
    const stored = await postBatch([b, a]);
    expect(stored).toMatchObject({
      status: 422,
      body: { message: "The platform identifier(s) are not all unique within this call.", errors: { puid: ["The platform identifier(s) are not all unique within this call."], existing_puids: [a.puid] } },
    });
    expect(tdb.storeCount.get(String(b.puid))).toBeUndefined();
  });

  it("a batch holds 1 to 100 statements", async () => {
    expect((await postBatch([])).body.errors.statements).toEqual(["The statements field is required."]);
    const many = Array.from({ length: 101 }, () => sampleStatement());
    expect((await postBatch(many)).body.errors.statements).toEqual(["The statements field must have between 1 and 100 items."]);
    const hundred = Array.from({ length: 100 }, () => sampleStatement());
    const ok = await postBatch(hundred);
    expect(ok.status).toBe(201);
    expect(ok.body.statements.map((s: { puid: string }) => s.puid)).toEqual(hundred.map((s) => s.puid));
  });

  it("existing-puid answers 302 when the platform has the puid, 404 otherwise (per platform)", async () => {
    const statement = sampleStatement();
    expect((await call("GET", `/api/v1/statement/existing-puid/${statement.puid}`)).status).toBe(404);
    await postOne(statement);
    expect(await call("GET", `/api/v1/statement/existing-puid/${statement.puid}`)).toMatchObject({ status: 302, body: { message: "statement of reason found", puid: statement.puid } });
    expect((await call("GET", `/api/v1/statement/existing-puid/${statement.puid}`, undefined, { authorization: "Bearer platform-2-token" })).status).toBe(404);
  });

  it("injects 429 with Retry-After and 5xx, then answers normally", async () => {
    tdb.inject("statements", { kind: "status", status: 429, retryAfter: 7 }, { kind: "status", status: 503 });
    const limited = await postBatch([sampleStatement()]);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect((await postBatch([sampleStatement()])).status).toBe(503);
    expect((await postBatch([sampleStatement()])).status).toBe(201);
  });
});

// Generated statements: any combination the PHP rules allow is accepted (by the schema and by the
// server), and breaking one rule of it is refused naming that field.
const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
const someOf = <T>(values: readonly T[]) => fc.uniqueArray(pick(values), { minLength: 1, maxLength: Math.min(4, values.length) });
const text = (max: number) => fc.string({ minLength: 1, maxLength: Math.min(max, 60) }).filter((s) => s.trim() !== "");
const day = (from: number, to: number) => fc.date({ min: new Date(Date.UTC(from, 0, 1)), max: new Date(Date.UTC(to, 0, 1)), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const puidArb = fc.stringMatching(/^[a-zA-Z0-9_-]{1,40}$/);

const validStatement = fc.record({
  decisions: fc.uniqueArray(pick(["visibility", "monetary", "provision", "account"] as const), { minLength: 1, maxLength: 4 }),
  visibility: someOf(enums.decisionVisibilities),
  monetary: pick(enums.decisionMonetaries),
  provision: pick(enums.decisionProvisions),
  account: pick(enums.decisionAccounts),
  ground: pick(enums.decisionGrounds),
  contentType: someOf(enums.contentTypes),
  category: pick(enums.statementCategories),
  additions: fc.option(fc.uniqueArray(pick(enums.statementCategories), { maxLength: 3 }), { nil: undefined }),
  keywords: fc.option(someOf(enums.keywords), { nil: undefined }),
  scope: fc.option(someOf(enums.europeanCountryCodes), { nil: undefined }),
  language: fc.option(pick(enums.languages), { nil: undefined }),
  contentDate: day(2000, 2038),
  applicationDate: day(2020, 2038),
  endDate: fc.option(day(2020, 2038), { nil: undefined }),
  facts: text(5000),
  sourceType: pick(enums.sourceTypes),
  detection: pick(enums.automatedDetections),
  decision: pick(enums.automatedDecisions),
  illegalFlag: fc.option(pick(enums.incompatibleContentIllegals), { nil: undefined }),
  words: text(500),
  puid: puidArb,
}).map((g) => {
  const s: Record<string, unknown> = {
    decision_ground: g.ground, content_type: g.contentType, category: g.category, content_date: g.contentDate,
    application_date: g.applicationDate, decision_facts: g.facts, source_type: g.sourceType,
    automated_detection: g.detection, automated_decision: g.decision, puid: g.puid,
  };
  if (g.decisions.includes("visibility")) s.decision_visibility = g.visibility;
  if (g.decisions.includes("monetary")) s.decision_monetary = g.monetary;
  if (g.decisions.includes("provision")) s.decision_provision = g.provision;
  if (g.decisions.includes("account")) s.decision_account = g.account;
  if (g.visibility.includes("DECISION_VISIBILITY_OTHER") && g.decisions.includes("visibility")) s.decision_visibility_other = g.words;
  if (g.monetary === "DECISION_MONETARY_OTHER" && g.decisions.includes("monetary")) s.decision_monetary_other = g.words;
  if (g.contentType.includes("CONTENT_TYPE_OTHER")) s.content_type_other = g.words;
  if (g.ground === "DECISION_GROUND_ILLEGAL_CONTENT") {
    s.illegal_content_legal_ground = g.words;
    s.illegal_content_explanation = g.words;
  } else {
    s.incompatible_content_ground = g.words;
    s.incompatible_content_explanation = g.words;
    if (g.illegalFlag) s.incompatible_content_illegal = g.illegalFlag;
  }
  if (g.additions) s.category_addition = g.additions;
  if (g.keywords) s.category_specification = g.keywords;
  if (g.scope) s.territorial_scope = g.scope;
  if (g.language) s.content_language = g.language;
  if (g.endDate) s.end_date_account_restriction = g.endDate;
  return s;
});

const requiredFields = ["decision_ground", "content_type", "category", "content_date", "application_date", "decision_facts", "source_type", "automated_detection", "automated_decision", "puid"];

describe("generated statements", () => {
  it("every statement the rules allow is accepted by the schema (property)", () => {
    fc.assert(fc.property(validStatement, (s) => {
      expect(statementErrors(s, "multi")).toEqual({});
      expect(statementErrors(s, "single")).toEqual({});
    }), { numRuns: 400 });
  });

  it("removing any required field, or putting a non-key in an enumerated one, is refused naming that field (property)", () => {
    const enumerated = ["decision_ground", "category", "source_type", "automated_detection", "automated_decision"];
    fc.assert(fc.property(validStatement, pick(requiredFields), pick(enumerated), fc.string({ maxLength: 10 }), (s, removed, field, junk) => {
      const missing = { ...s };
      delete missing[removed];
      expect(Object.keys(statementErrors(missing))).toContain(removed);
      const wrong = { ...s, [field]: `X${junk}` };
      expect(Object.keys(statementErrors(wrong))).toContain(field);
    }), { numRuns: 300 });
  });

  it("the server stores generated batches of valid statements", async () => {
    const batch = fc.sample(validStatement, 100).map((s, i) => ({ ...s, puid: `gen-${i}-${newPuid()}` }));
    const response = await postBatch(batch);
    expect(response.status).toBe(201);
    expect(response.body.statements).toHaveLength(100);
  });
});
