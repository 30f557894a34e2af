// Statements of Reasons for tests: a statement the Commission accepts, and small helpers.
import { randomUUID } from "node:crypto";

let counter = 0;

/** A unique puid (the Commission's pattern: letters, digits, - and _). */
export const newPuid = (prefix = "puid") => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}-${randomUUID().slice(0, 8)}`;

/** A complete statement for illegal content that the Transparency Database accepts. */
export function sampleStatement(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    decision_visibility: ["DECISION_VISIBILITY_CONTENT_REMOVED"],
    decision_ground: "DECISION_GROUND_ILLEGAL_CONTENT",
    illegal_content_legal_ground: "Art. 130 StGB",
    illegal_content_explanation: "Incitement to hatred against a protected group.",
    content_type: ["CONTENT_TYPE_TEXT"],
    category: "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    territorial_scope: ["DE", "AT"],
    content_language: "DE",
    content_date: "2026-11-01",
    application_date: "2026-11-02",
    decision_facts: "The post was reported under Art. 16 and reviewed by a moderator.",
    source_type: "SOURCE_ARTICLE_16",
    automated_detection: "No",
    automated_decision: "AUTOMATED_DECISION_NOT_AUTOMATED",
    puid: newPuid(),
    ...overrides,
  };
}

/** A statement on the terms-and-conditions ground, restricting an account only. */
export function incompatibleStatement(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base = sampleStatement();
  delete base.decision_visibility;
  delete base.illegal_content_legal_ground;
  delete base.illegal_content_explanation;
  return {
    ...base,
    decision_account: "DECISION_ACCOUNT_SUSPENDED",
    decision_ground: "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    incompatible_content_ground: "Community guidelines §4",
    incompatible_content_explanation: "Spam posted from the account.",
    category: "STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
    ...overrides,
  };
}

/** `statement` without the named fields. */
export function without(statement: Record<string, unknown>, ...fields: string[]): Record<string, unknown> {
  const copy = { ...statement };
  for (const field of fields) delete copy[field];
  return copy;
}
