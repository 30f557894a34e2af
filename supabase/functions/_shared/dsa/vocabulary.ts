// The values DSA-relevant event metadata may carry so the harmonised transparency report can count
// it (docs/event-types.md#dsa-transparency-fields): the template's categories and sub-categories,
// the Member States, complaint bases, outcomes and suspension reasons. Statement-of-Reasons values
// (decision grounds, source types, automated decisions) are the Transparency Database's own.
import { z } from "zod";
import { automatedDecisions, decisionGrounds, sourceTypes } from "../sor/enums.ts";
import { text } from "../schemas/values.ts";
import {
  categories,
  noticesCategories,
  ordersCategories,
  ownInitiativeIllegalCategories,
  ownInitiativeTermsAndConditionsCategories,
} from "./template.ts";

/** The EU-27 in Eurostat's protocol order, as the template writes them (Greece is EL). */
export const memberStates = [
  "BE", "BG", "CZ", "DK", "DE", "EE", "IE", "EL", "ES", "FR", "HR", "IT", "CY", "LV", "LT", "LU", "HU", "MT", "NL", "AT",
  "PL", "PT", "RO", "SI", "SK", "FI", "SE",
] as const;
/** Accepted too, and reported as EL: the ISO code the Transparency Database uses for Greece. */
export const memberStateAliases: Record<string, (typeof memberStates)[number]> = { GR: "EL" };

export const complaintBases = [
  "visibility", "provision", "account", "monetisation", "notice_not_actioned", "trusted_flagger_notice_not_actioned",
] as const;
export const complaintOutcomes = ["upheld", "reversed", "modified", "omitted"] as const;
export const disputeOutcomes = ["upheld", "partially_reversed", "reversed", "omitted"] as const;
export const suspensionReasons = ["manifestly_illegal_content", "manifestly_unfounded_notices", "manifestly_unfounded_complaints"] as const;
export const orderTypes = ["act_against_illegal_content", "provide_information"] as const;
export const orderStages = ["received", "informed", "effect_given"] as const;

/** Each category's sub-category codes. */
export const keywordsOf = new Map(categories.map((c) => [c.code, new Set(c.keywords.map((k) => k.code))]));

export const caseId = text(1, 200);
export const items = z.number().int().min(1).max(1_000_000_000);
export const memberState = z.enum([...memberStates, ...Object.keys(memberStateAliases)] as [string, ...string[]]);

/** `category` from the given template part's list, and `keyword` one of that category's sub-categories. */
export function categoryFields(allowed: readonly string[]) {
  return {
    category: z.enum(allowed as [string, ...string[]]).optional(),
    keyword: z.string().regex(/^KEYWORD_[A-Z_]+$/, "a sub-category code of the template (KEYWORD_…)").optional(),
  };
}

/** A keyword needs its category, and must be one of that category's sub-categories. */
export function checkKeyword(m: { category?: string; keyword?: string }, ctx: z.RefinementCtx) {
  if (m.keyword === undefined) return;
  if (m.category === undefined) {
    ctx.addIssue({ code: "custom", path: ["keyword"], message: "keyword needs the category it belongs to" });
  } else if (!keywordsOf.get(m.category)?.has(m.keyword)) {
    ctx.addIssue({ code: "custom", path: ["keyword"], message: `${m.keyword} is not a sub-category of ${m.category}` });
  }
}

export const noticeFields = { notice_id: caseId.optional(), ...categoryFields(noticesCategories), items: items.optional() };

export const decisionFields = {
  notice_id: caseId.optional(),
  order_id: caseId.optional(),
  ...categoryFields(ownInitiativeTermsAndConditionsCategories),
  decision_ground: z.enum(decisionGrounds).optional(),
  source_type: z.enum(sourceTypes).optional(),
  automated_decision: z.enum(automatedDecisions).optional(),
  automated_detection: z.boolean().optional(),
};

/**
 * A decision's DSA fields must agree with its Statement of Reasons where both say something, and
 * a decision on grounds of illegality cannot use the terms-and-conditions-only category.
 */
export function checkDecision(m: Record<string, unknown>, ctx: z.RefinementCtx) {
  checkKeyword(m as { category?: string; keyword?: string }, ctx);
  const sor = m.statement_of_reasons as Record<string, unknown> | undefined;
  if (sor) {
    for (const field of ["decision_ground", "category", "source_type", "automated_decision"]) {
      if (m[field] !== undefined && sor[field] !== undefined && m[field] !== sor[field]) {
        ctx.addIssue({ code: "custom", path: [field], message: `${field} ${m[field]} disagrees with statement_of_reasons.${field} ${sor[field]}` });
      }
    }
    if (m.automated_detection !== undefined && sor.automated_detection !== undefined && (m.automated_detection ? "Yes" : "No") !== sor.automated_detection) {
      ctx.addIssue({ code: "custom", path: ["automated_detection"], message: `automated_detection disagrees with statement_of_reasons.automated_detection ${sor.automated_detection}` });
    }
  }
  const ground = m.decision_ground ?? sor?.decision_ground;
  const category = m.category ?? sor?.category;
  if (ground === "DECISION_GROUND_ILLEGAL_CONTENT" && typeof category === "string" && !ownInitiativeIllegalCategories.includes(category)) {
    ctx.addIssue({ code: "custom", path: ["category"], message: `${category} is for decisions on grounds of the terms and conditions only` });
  }
}

export const orderFields = {
  order_id: caseId,
  stage: z.enum(orderStages),
  order_type: z.enum(orderTypes).optional(),
  member_state: memberState.optional(),
  ...categoryFields([...ordersCategories]),
  items: items.optional(),
};

/** A received order says what it is and where it comes from; the later stages name only the order. */
export function checkOrder(m: Record<string, unknown>, ctx: z.RefinementCtx) {
  checkKeyword(m as { category?: string; keyword?: string }, ctx);
  if (m.stage === "received") {
    if (m.order_type === undefined) ctx.addIssue({ code: "custom", path: ["order_type"], message: "order_type is required when stage is received" });
    if (m.member_state === undefined) ctx.addIssue({ code: "custom", path: ["member_state"], message: "member_state is required when stage is received" });
  } else {
    for (const field of ["order_type", "member_state", "category", "keyword", "items"]) {
      if (m[field] !== undefined) ctx.addIssue({ code: "custom", path: [field], message: `${field} belongs on the received stage; later stages are counted under their order` });
    }
  }
}
