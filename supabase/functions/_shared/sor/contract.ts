// The Commission's Statement of Reasons contract, as its code enforces it (not as its prose
// documentation describes it): digital-services-act/transparency-database at commit 69e80a0b,
//   app/Http/Requests/StatementStoreRequest.php  rules() for POST /api/v1/statement      ("single")
//   app/Services/GroupedSubmissionsService.php  multi_rules() for POST /api/v1/statements ("multi")
// Both are Laravel 12 validation rules. Every rule below carries the rule string it reproduces, and
// the error messages are Laravel's own (or the Commission's messages() overrides), keyed by field,
// so the local Transparency Database (tests/support/tdb-server.ts) answers 422 with the bodies the
// real API sends. docs/sor-contract.md is the table of rules and their sources.
//
// Laravel semantics reproduced: strings are trimmed and "" becomes null first (laravelInput); a field is "filled" unless it is absent, null, a string of only
// whitespace, or an empty array (validateRequired); rules other than required* run only on present
// fields; `nullable` skips the remaining rules for null; every failing rule adds a message (no
// bail); exclude_unless / Rule::excludeIf drop a field from validation altogether; `in` on a field
// with the `array` rule checks every element; `max` counts characters (mb_strlen) of strings and
// items of arrays; `in:null,…` (the Commission's `$nullable` variant) also accepts the string "null".
//
// Deliberately stricter than PHP in one way, noted in docs/sor-contract.md: where PHP's loose typing
// would let a value through validation that the database then cannot store (an object where text
// is expected, a JSON object where a list is expected), this schema refuses it.
import { z } from "zod";
import {
  accountTypes, automatedDecisions, automatedDetections, contentTypes, decisionAccounts, decisionGrounds,
  decisionMonetaries, decisionProvisions, decisionVisibilities, europeanCountryCodes, incompatibleContentIllegals,
  keywords, languages, sourceTypes, statementCategories,
} from "./enums.ts";

export * from "./enums.ts";

/** POST /api/v1/statements takes 1 to 100 statements (StatementMultipleAPIController: between:1,100). */
export const maxStatementsPerBatch = 100;

export type Route = "single" | "multi";
export type FieldErrors = Record<string, string[]>;

/** A statement as the Commission accepts it. Optional fields may be omitted or null. */
export interface Statement {
  decision_visibility?: string[] | null;
  decision_visibility_other?: string;
  decision_monetary?: string | null;
  decision_monetary_other?: string;
  decision_provision?: string | null;
  decision_account?: string | null;
  account_type?: string | null;
  category_specification?: string[] | null;
  category_specification_other?: string;
  decision_ground: string;
  decision_ground_reference_url?: string | null;
  illegal_content_legal_ground?: string;
  illegal_content_explanation?: string;
  incompatible_content_ground?: string;
  incompatible_content_explanation?: string;
  incompatible_content_illegal?: string;
  content_type: string[];
  content_type_other?: string;
  category: string;
  category_addition?: string[];
  territorial_scope?: string[] | null;
  content_language?: string | null;
  content_date: string;
  application_date: string;
  end_date_account_restriction?: string | null;
  end_date_monetary_restriction?: string | null;
  end_date_service_restriction?: string | null;
  end_date_visibility_restriction?: string | null;
  decision_facts: string;
  source_type: string;
  source_identity?: string | null;
  automated_detection: string;
  automated_decision: string;
  puid: string;
  content_id?: { "EAN-13"?: string } | null;
  content_id_ean?: string | null;
  [extra: string]: unknown;
}

// --- Laravel's messages (vendor/laravel/framework/src/Illuminate/Translation/lang/en/validation.php)

/** Laravel's displayable attribute: Str::snake, then underscores to spaces ("content_id.EAN-13" → "content id. e a n-13"). */
export function attributeName(field: string): string {
  const snake = /^[a-z0-9_]*$/.test(field) ? field : field.replace(/(.)(?=[A-Z])/gu, "$1_").toLowerCase();
  return snake.replaceAll("_", " ");
}

const message = {
  required: (f: string) => `The ${attributeName(f)} field is required.`,
  requiredWithoutAll: (f: string, others: string[]) =>
    `The ${attributeName(f)} field is required when none of ${others.map(attributeName).join(" / ")} are present.`,
  array: (f: string) => `The ${attributeName(f)} field must be an array.`,
  string: (f: string) => `The ${attributeName(f)} field must be a string.`,
  in: (f: string) => `The selected ${attributeName(f)} is invalid.`,
  regex: (f: string) => `The ${attributeName(f)} field format is invalid.`,
  url: (f: string) => `The ${attributeName(f)} field must be a valid URL.`,
  maxString: (f: string, max: number) => `The ${attributeName(f)} field must not be greater than ${max} characters.`,
  maxArray: (f: string, max: number) => `The ${attributeName(f)} field must not have more than ${max} items.`,
  dateFormat: (f: string) => `The ${attributeName(f)} field must match the format Y-m-d.`,
  afterOrEqual: (f: string, date: string) => `The ${attributeName(f)} field must be a date after or equal to ${date}.`,
  beforeOrEqual: (f: string, date: string) => `The ${attributeName(f)} field must be a date before or equal to ${date}.`,
};

// StatementStoreRequest::messages() (identical in GroupedSubmissionsService::multi_messages()).
const customMessages: Record<string, string> = {
  "decision_visibility_other.required_if": "The decision visibility other field is required when decision visibility is other.",
  "decision_monetary_other.required_if": "The decision monetary other field is required when decision monetary is other.",
  "content_type_other.required_if": "The content type other field is required when content is other.",
  "illegal_content_legal_ground.required_if": "The illegal content legal ground field is required when decision ground is illegal content.",
  "illegal_content_explanation.required_if": "The illegal content explanation field is required when decision ground is illegal content.",
  "incompatible_content_ground.required_if": "The incompatible content ground field is required when decision ground is incompatible content.",
  "incompatible_content_explanation.required_if": "The incompatible content explanation field is required when decision ground is incompatible content.",
  "content_date.date_format": "The content date does not match the format YYYY-MM-DD.",
  "application_date.date_format": "The application date does not match the format YYYY-MM-DD.",
  "end_date_account_restriction.date_format": "The end date of account restriction does not match the format YYYY-MM-DD.",
  "end_date_monetary_restriction.date_format": "The end date of monetary restriction does not match the format YYYY-MM-DD.",
  "end_date_service_restriction.date_format": "The end date of service restriction does not match the format YYYY-MM-DD.",
  "end_date_visibility_restriction.date_format": "The end date of visibility restriction does not match the format YYYY-MM-DD.",
  "puid.regex": "The puid format is invalid.",
};

// --- Laravel's value tests

type Input = Record<string, unknown>;

const present = (input: Input, field: string) => Object.hasOwn(input, field);

/** Validator::validateRequired: null, whitespace-only strings and empty arrays count as missing. */
function filled(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === "string") return value.trim() !== "";
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value as object).length > 0;
  return true;
}

/** PHP's (string) cast for scalars, as `in` and `regex` compare them; undefined for what has none. */
function phpString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "1" : "";
  if (value === null) return "";
  return undefined;
}

/** mb_strlen: characters are code points. */
const characters = (value: string) => [...value].length;

/** date_format:Y-m-d: createFromFormat('!Y-m-d') must round-trip to the same text (a real calendar day). */
function isYmd(value: unknown): value is string {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const [y, m, d] = value.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** Laravel's `url` rule accepts absolute URLs with a scheme and host and no whitespace. */
function isUrl(value: unknown): boolean {
  if (typeof value !== "string" || /\s/.test(value)) return false;
  try {
    const url = new URL(value);
    return /^[a-z][a-z0-9+.-]*:$/i.test(url.protocol) && url.host !== "";
  } catch {
    return false;
  }
}

// --- The rules

class Collector {
  readonly errors: FieldErrors = {};
  add(field: string, rule: string, fallback: string) {
    (this.errors[field] ??= []).push(customMessages[`${field}.${rule}`] ?? fallback);
  }
}

type Rule = (c: Collector, field: string, value: unknown) => void;

// Type and value rules (run only when the field is present and, with `nullable`, not null).
const isArray: Rule = (c, f, v) => { if (!Array.isArray(v)) c.add(f, "array", message.array(f)); };
/** PHP's is_array for content_id, which is a map ({"EAN-13": …}): a JSON object or list. */
const isPhpArray: Rule = (c, f, v) => { if (v === null || typeof v !== "object") c.add(f, "array", message.array(f)); };
const isString: Rule = (c, f, v) => { if (typeof v !== "string") c.add(f, "string", message.string(f)); };
const maxLength = (max: number): Rule => (c, f, v) => {
  if (Array.isArray(v)) {
    if (v.length > max) c.add(f, "max", message.maxArray(f, max));
    return;
  }
  const text = phpString(v);
  // Stricter than PHP: an object where text is expected is refused (PHP would fail to store it).
  if (text === undefined) c.add(f, "string", message.string(f));
  else if (characters(text) > max) c.add(f, "max", message.maxString(f, max));
};
const oneOf = (values: readonly string[], nullable = false): Rule => (c, f, v) => {
  const allowed = new Set<string>(nullable ? ["null", ...values] : values);
  const ok = Array.isArray(v)
    ? v.every((item) => { const s = phpString(item); return s !== undefined && item !== null && allowed.has(s); })
    : (() => { const s = phpString(v); return s !== undefined && v !== null && allowed.has(s); })();
  if (!ok) c.add(f, "in", message.in(f));
};
const regex = (pattern: RegExp): Rule => (c, f, v) => {
  const s = typeof v === "string" ? v : undefined; // stricter than PHP: numbers are not identifiers
  if (s === undefined || !pattern.test(s)) c.add(f, "regex", message.regex(f));
};
const url: Rule = (c, f, v) => { if (!isUrl(v)) c.add(f, "url", message.url(f)); };
const dateFormat: Rule = (c, f, v) => { if (!isYmd(v)) c.add(f, "date_format", message.dateFormat(f)); };
const afterOrEqual = (date: string): Rule => (c, f, v) => {
  if (!isYmd(v) || v < date) c.add(f, "after_or_equal", message.afterOrEqual(f, date));
};
const beforeOrEqual = (date: string): Rule => (c, f, v) => {
  if (!isYmd(v) || v > date) c.add(f, "before_or_equal", message.beforeOrEqual(f, date));
};

interface FieldRule {
  /** The rule string in the Commission's source, for docs/sor-contract.md and review. */
  source: string;
  nullable?: boolean;
  /** required (true), or a condition (required_if / Rule::requiredIf / required_without_all). */
  required?: (input: Input) => boolean;
  requiredMessage?: (field: string) => [rule: string, text: string];
  /** exclude_unless / Rule::excludeIf: when true, the field is not validated at all. */
  excluded?: (input: Input, route: Route) => boolean;
  rules: Rule[];
}

const decisionFields = ["decision_visibility", "decision_monetary", "decision_provision", "decision_account"];
const requiredWithoutAll = (field: string): Pick<FieldRule, "required" | "requiredMessage"> => {
  const others = decisionFields.filter((f) => f !== field);
  return {
    required: (input) => others.every((other) => !filled(input[other])),
    requiredMessage: (f) => ["required_without_all", message.requiredWithoutAll(f, others)],
  };
};
const always = () => true;
const equals = (field: string, value: string) => (input: Input) => phpString(input[field]) === value && input[field] !== null;
/** (array) $this->get(field, []) contains needle: the Commission's checkFor…Other() helpers. */
const listContains = (field: string, needle: string) => (input: Input) => {
  const value = input[field];
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.includes(needle);
};
const requiredIf = (field: string, value: string): Pick<FieldRule, "required" | "requiredMessage"> => ({
  required: equals(field, value),
  requiredMessage: (f) => ["required_if", `The ${attributeName(f)} field is required when ${attributeName(field)} is ${value}.`],
});

/** Every field of StatementStoreRequest::rules() / multi_rules(), in the Commission's order. */
export const fieldRules: Record<string, FieldRule> = {
  content_id: { source: "'array', 'nullable'", nullable: true, rules: [isPhpArray] },
  content_id_ean: { source: "'nullable', 'string', 'regex:/^[0-9]{13}$/'", nullable: true, rules: [isString, regex(/^[0-9]{13}$/)] },
  decision_visibility: {
    source: "'array', in:null,<DECISION_VISIBILITIES>, 'required_without_all:decision_monetary,decision_provision,decision_account', 'nullable'",
    nullable: true, ...requiredWithoutAll("decision_visibility"), rules: [isArray, oneOf(decisionVisibilities, true)],
  },
  decision_visibility_other: {
    source: "'max:500', Rule::requiredIf(DECISION_VISIBILITY_OTHER in decision_visibility), Rule::excludeIf(not)",
    required: listContains("decision_visibility", "DECISION_VISIBILITY_OTHER"),
    excluded: (input) => !listContains("decision_visibility", "DECISION_VISIBILITY_OTHER")(input),
    rules: [maxLength(500)],
  },
  decision_monetary: {
    source: "in:null,<DECISION_MONETARIES>, 'required_without_all:decision_visibility,decision_provision,decision_account', 'nullable'",
    nullable: true, ...requiredWithoutAll("decision_monetary"), rules: [oneOf(decisionMonetaries, true)],
  },
  decision_monetary_other: {
    source: "'required_if:decision_monetary,DECISION_MONETARY_OTHER', 'exclude_unless:decision_monetary,DECISION_MONETARY_OTHER', 'max:500'",
    ...requiredIf("decision_monetary", "DECISION_MONETARY_OTHER"),
    excluded: (input) => !equals("decision_monetary", "DECISION_MONETARY_OTHER")(input),
    rules: [maxLength(500)],
  },
  decision_provision: {
    source: "in:null,<DECISION_PROVISIONS>, 'required_without_all:decision_visibility,decision_monetary,decision_account', 'nullable'",
    nullable: true, ...requiredWithoutAll("decision_provision"), rules: [oneOf(decisionProvisions, true)],
  },
  decision_account: {
    source: "in:null,<DECISION_ACCOUNTS>, 'required_without_all:decision_visibility,decision_monetary,decision_provision', 'nullable'",
    nullable: true, ...requiredWithoutAll("decision_account"), rules: [oneOf(decisionAccounts, true)],
  },
  account_type: { source: "in:null,<ACCOUNT_TYPES>, 'nullable'", nullable: true, rules: [oneOf(accountTypes, true)] },
  category_specification: {
    source: "'array', in:null,<KEYWORDS>, 'nullable'", nullable: true, rules: [isArray, oneOf(keywords, true)],
  },
  category_specification_other: { source: "'max:500'", rules: [maxLength(500)] },
  decision_ground: { source: "'required', in:<DECISION_GROUNDS>", required: always, rules: [oneOf(decisionGrounds)] },
  decision_ground_reference_url: { source: "'url', 'nullable', 'max:500'", nullable: true, rules: [url, maxLength(500)] },
  illegal_content_legal_ground: {
    source: "'required_if:decision_ground,DECISION_GROUND_ILLEGAL_CONTENT', 'exclude_unless:…', 'max:500'",
    ...requiredIf("decision_ground", "DECISION_GROUND_ILLEGAL_CONTENT"),
    excluded: (input) => !equals("decision_ground", "DECISION_GROUND_ILLEGAL_CONTENT")(input),
    rules: [maxLength(500)],
  },
  illegal_content_explanation: {
    source: "'required_if:decision_ground,DECISION_GROUND_ILLEGAL_CONTENT', 'exclude_unless:…', 'max:2000'",
    ...requiredIf("decision_ground", "DECISION_GROUND_ILLEGAL_CONTENT"),
    excluded: (input) => !equals("decision_ground", "DECISION_GROUND_ILLEGAL_CONTENT")(input),
    rules: [maxLength(2000)],
  },
  incompatible_content_ground: {
    source: "'required_if:decision_ground,DECISION_GROUND_INCOMPATIBLE_CONTENT', 'exclude_unless:…', 'max:500'",
    ...requiredIf("decision_ground", "DECISION_GROUND_INCOMPATIBLE_CONTENT"),
    excluded: (input) => !equals("decision_ground", "DECISION_GROUND_INCOMPATIBLE_CONTENT")(input),
    rules: [maxLength(500)],
  },
  incompatible_content_explanation: {
    source: "'required_if:decision_ground,DECISION_GROUND_INCOMPATIBLE_CONTENT', 'exclude_unless:…', 'max:2000'",
    ...requiredIf("decision_ground", "DECISION_GROUND_INCOMPATIBLE_CONTENT"),
    excluded: (input) => !equals("decision_ground", "DECISION_GROUND_INCOMPATIBLE_CONTENT")(input),
    rules: [maxLength(2000)],
  },
  incompatible_content_illegal: {
    source: "in:<INCOMPATIBLE_CONTENT_ILLEGALS>, 'exclude_unless:decision_ground,DECISION_GROUND_INCOMPATIBLE_CONTENT'",
    excluded: (input) => !equals("decision_ground", "DECISION_GROUND_INCOMPATIBLE_CONTENT")(input),
    rules: [oneOf(incompatibleContentIllegals)],
  },
  content_type: { source: "'array', 'required', in:<CONTENT_TYPES>", required: always, rules: [isArray, oneOf(contentTypes)] },
  content_type_other: {
    source: "'max:500', Rule::requiredIf(CONTENT_TYPE_OTHER in content_type), Rule::excludeIf(not)",
    required: listContains("content_type", "CONTENT_TYPE_OTHER"),
    excluded: (input) => !listContains("content_type", "CONTENT_TYPE_OTHER")(input),
    rules: [maxLength(500)],
  },
  category: { source: "'required', in:<STATEMENT_CATEGORIES>", required: always, rules: [oneOf(statementCategories)] },
  category_addition: { source: "'array', in:<STATEMENT_CATEGORIES>", rules: [isArray, oneOf(statementCategories)] },
  territorial_scope: {
    source: "'array', 'nullable', in:<EUROPEAN_COUNTRY_CODES>", nullable: true, rules: [isArray, oneOf(europeanCountryCodes)],
  },
  content_language: { source: "in:<ALL_LANGUAGES keys>, 'nullable'", nullable: true, rules: [oneOf(languages)] },
  content_date: {
    source: "'required', 'date_format:Y-m-d', 'after_or_equal:2000-01-01', 'before_or_equal:2038-01-01'",
    required: always, rules: [dateFormat, afterOrEqual("2000-01-01"), beforeOrEqual("2038-01-01")],
  },
  application_date: {
    source: "'required', 'date_format:Y-m-d', 'after_or_equal:2020-01-01', 'before_or_equal:2038-01-01'",
    required: always, rules: [dateFormat, afterOrEqual("2020-01-01"), beforeOrEqual("2038-01-01")],
  },
  end_date_account_restriction: {
    source: "'date_format:Y-m-d', 'nullable', 'before_or_equal:2038-01-01'", nullable: true, rules: [dateFormat, beforeOrEqual("2038-01-01")],
  },
  end_date_monetary_restriction: {
    source: "'date_format:Y-m-d', 'nullable', 'before_or_equal:2038-01-01'", nullable: true, rules: [dateFormat, beforeOrEqual("2038-01-01")],
  },
  end_date_service_restriction: {
    source: "'date_format:Y-m-d', 'nullable', 'before_or_equal:2038-01-01'", nullable: true, rules: [dateFormat, beforeOrEqual("2038-01-01")],
  },
  end_date_visibility_restriction: {
    source: "'date_format:Y-m-d', 'nullable', 'before_or_equal:2038-01-01'", nullable: true, rules: [dateFormat, beforeOrEqual("2038-01-01")],
  },
  decision_facts: { source: "'required', 'max:5000'", required: always, rules: [maxLength(5000)] },
  source_type: { source: "'required', in:<SOURCE_TYPES>", required: always, rules: [oneOf(sourceTypes)] },
  source_identity: {
    source: "single: 'max:500', Rule::excludeIf(source_type is SOURCE_VOLUNTARY); multi: 'max:500', 'nullable'",
    nullable: true,
    excluded: (input, route) => route === "single" && listContains("source_type", "SOURCE_VOLUNTARY")(input),
    rules: [maxLength(500)],
  },
  automated_detection: { source: "'required', in:<AUTOMATED_DETECTIONS>", required: always, rules: [oneOf(automatedDetections)] },
  automated_decision: { source: "'required', in:<AUTOMATED_DECISIONS>", required: always, rules: [oneOf(automatedDecisions)] },
  puid: { source: "'required', 'max:500', 'regex:/^[a-zA-Z0-9-_]+$/D'", required: always, rules: [maxLength(500), regex(/^[a-zA-Z0-9_-]+$/)] },
};

/**
 * What Laravel makes of the input before any rule runs: the global TrimStrings and
 * ConvertEmptyStringsToNull middleware (app/Http/Kernel.php $middleware) trim every string, nested
 * ones included, and turn "" into null. So `"  "` is a missing value, `""` a null one, and
 * `" abc "` the puid `abc`. (TrimStrings strips \s, U+FEFF, U+200B and U+200E at both ends.)
 */
export function laravelInput(value: unknown): unknown {
  if (typeof value === "string") {
    const trimmed = value.replace(/^[\s\uFEFF\u200B\u200E]+|[\s\uFEFF\u200B\u200E]+$/gu, "");
    return trimmed === "" ? null : trimmed;
  }
  if (Array.isArray(value)) return value.map(laravelInput);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, laravelInput(item)]));
  }
  return value;
}

/**
 * Validates one statement as the Commission's route does and returns Laravel's error bag
 * ({field: [messages]}), empty when the statement is accepted.
 */
export function statementErrors(input: unknown, route: Route = "multi"): FieldErrors {
  const c = new Collector();
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    // Not a JSON object: Laravel would see no fields at all, so every required field is missing.
    return statementErrors({}, route);
  }
  const statement = laravelInput(input) as Input;
  for (const [field, rule] of Object.entries(fieldRules)) {
    if (rule.excluded?.(statement, route)) continue;
    const value = statement[field];
    if (rule.required?.(statement) && !filled(value)) {
      const [name, text] = rule.requiredMessage?.(field) ?? ["required", message.required(field)];
      c.add(field, name, text);
      continue; // an empty value fails its other rules only when present and non-null (below)
    }
    if (!present(statement, field)) continue;
    if (value === null && rule.nullable) continue;
    for (const check of rule.rules) check(c, field, value);
  }
  // 'content_id.EAN-13' => ['string', 'regex:/^[0-9]{13}$/'] (a nested rule, only when present).
  const contentId = statement.content_id;
  if (contentId !== null && typeof contentId === "object" && !Array.isArray(contentId) && Object.hasOwn(contentId, "EAN-13")) {
    const ean = (contentId as Input)["EAN-13"];
    isString(c, "content_id.EAN-13", ean);
    regex(/^[0-9]{13}$/)(c, "content_id.EAN-13", ean);
  }
  return c.errors;
}

/** The statement as a zod schema: any object the Commission accepts, with Laravel's messages as issues. */
export const statementSchema = z.record(z.string(), z.unknown()).superRefine((input, ctx) => {
  for (const [field, messages] of Object.entries(statementErrors(input))) {
    for (const text of messages) ctx.addIssue({ code: "custom", path: [field], message: text });
  }
}) as unknown as z.ZodType<Statement>;

/** Laravel's ValidationException message: the first error, and "(and N more error(s))". */
export function laravelMessage(errors: FieldErrors): string {
  const all = Object.values(errors).flat();
  if (all.length === 0) return "";
  const more = all.length - 1;
  return more === 0 ? all[0] : `${all[0]} (and ${more} more error${more === 1 ? "" : "s"})`;
}
