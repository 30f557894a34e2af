// What a caller may append. Event types that the transparency SQL reads have their own metadata
// rules (docs/event-types.md); any other type is allowed if its name follows the naming rule.
import { z } from "zod";
import { personalNamePattern } from "../canonical.ts";
import {
  caseId,
  checkDecision,
  checkKeyword,
  checkOrder,
  complaintBases,
  complaintOutcomes,
  decisionFields,
  disputeOutcomes,
  noticeFields,
  orderFields,
  suspensionReasons,
} from "../dsa/vocabulary.ts";
import { statementSchema } from "../sor/contract.ts";
import { text, timestamp, unstorableJson, uuid } from "./values.ts";

export const maxEventsPerRequest = 1000;
export const maxMetadataBytes = 64 * 1024;
export const eventTypePattern = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;

/** Written only by Evident itself (the audited read path, verification runs); callers may not forge them. */
export const reservedEventTypes = new Set([
  "audit_access", "audit_verification", "key_rotated", "authority_data_request", "sor_submitted", "compliance_audit_completed", "access_refused",
  "legal_hold",
  "gdpr_erasure", "gdpr_anonymisation",
  "backup_verified", "retention_action",
]);

export const maxPersonalValues = 32;
export const maxPersonalDataBytes = 64 * 1024;
/** Event types whose personal_data says whose consent it is (docs/event-types.md). */
export const consentEventTypes = ["consent_granted", "consent_withdrawn"] as const;

export const decisionActions = [
  "content_removed", "content_disabled", "content_demoted", "content_age_restricted",
  "content_interaction_restricted", "content_labelled", "monetary_suspended", "monetary_terminated",
  "service_suspended", "service_terminated", "account_suspended", "account_terminated", "no_action",
] as const;

// The DSA fields (notice_id, category, keyword, items, decision_ground, …) are optional: they let the
// harmonised transparency report count an event (docs/event-types.md#dsa-transparency-fields).
const metadataRules: Record<string, z.ZodType> = {
  report_submitted: z.looseObject({
    report_type: z.enum(["illegal_content", "policy_violation"]),
    is_trusted_flagger: z.boolean(),
    trusted_flagger_id: text(1, 200).optional(),
    ...noticeFields,
  }).refine((m) => !m.is_trusted_flagger || m.trusted_flagger_id !== undefined, {
    message: "trusted_flagger_id is required when is_trusted_flagger is true",
    path: ["trusted_flagger_id"],
  }).superRefine(checkKeyword),
  // statement_of_reasons (optional): a Statement of Reasons for the Transparency Database, queued in
  // the same transaction (docs/sor-submission.md); it must pass the Commission's rules.
  decision_made: z.looseObject({ action: z.enum(decisionActions), statement_of_reasons: statementSchema.optional(), ...decisionFields })
    .superRefine(checkDecision),
  appeal_filed: z.looseObject({ complaint_id: caseId.optional(), basis: z.enum(complaintBases).optional() }),
  appeal_decided: z.looseObject({
    outcome: z.enum(complaintOutcomes),
    complaint_id: caseId.optional(),
    basis: z.enum(complaintBases).optional(),
    restriction_imposed: z.boolean().optional(),
  }),
  ods_escalation: z.looseObject({
    dispute_id: caseId.optional(),
    stage: z.enum(["submitted", "decided"]).optional(),
    outcome: z.enum(disputeOutcomes).optional(),
    implemented: z.boolean().optional(),
  }).refine((m) => m.stage !== "decided" || m.outcome !== undefined, { message: "outcome is required when stage is decided", path: ["outcome"] }),
  repeat_offender_action: z.looseObject({ reason: z.enum(suspensionReasons).optional() }),
  authority_order: z.looseObject(orderFields).superRefine(checkOrder),
  // Consent tracking (GDPR Art. 7): what was consented to, under which text, and how. The data
  // subject is the subject_id of the event's personal_data (required for these types).
  consent_granted: z.looseObject({
    purpose: text(1, 200),
    consent_version: text(1, 64),
    method: text(1, 64).optional(),
    legal_basis: z.enum(["consent", "explicit_consent"]).optional(),
  }),
  consent_withdrawn: z.looseObject({
    purpose: text(1, 200),
    consent_version: text(1, 64).optional(),
    method: text(1, 64).optional(),
  }),
  audit_access: z.looseObject({
    accessor_type: text(1, 64),
    purpose: text(3, 500),
    query_parameters: z.record(z.string(), z.unknown()),
    permission_verified: z.boolean(),
  }),
};

/**
 * Personal values of an event, kept outside the signed core (canonical form v2): each named value
 * belongs to one data subject, and the signed entry carries only a keyed commitment to it.
 */
export const personalDataInput = z.record(
  z.string(),
  z.strictObject({
    subject_id: text(1, 256),
    value: z.unknown().refine((v) => v !== undefined && v !== null, "value is required (null is not personal data)"),
  }),
);

export type PersonalDataInput = z.infer<typeof personalDataInput>;

export const eventInput = z.strictObject({
  event_type: text(1, 64).regex(eventTypePattern, "event_type is lower snake_case, optionally namespaced with dots (acme.user_banned)"),
  actor_id: text(1, 256),
  actor_type: text(1, 64),
  target_id: text(1, 256),
  target_type: text(1, 64),
  action: text(1, 128),
  metadata: z.record(z.string(), z.unknown()),
  timestamp: timestamp.optional(),
  idempotency_key: text(1, 200).optional(),
  pii_tagged: z.boolean().optional(),
  retention_until: timestamp.optional(),
  personal_data: personalDataInput.optional(),
}).superRefine((event, ctx) => {
  if (event.personal_data !== undefined) {
    const names = Object.keys(event.personal_data);
    const problem = unstorableJson(event.personal_data, "personal_data");
    for (const name of names) {
      if (!personalNamePattern.test(name)) {
        ctx.addIssue({ code: "custom", path: ["personal_data", name], message: "personal value names are lower snake_case, at most 64 characters (reporter_ip, reason_text)" });
      }
    }
    if (names.length === 0) ctx.addIssue({ code: "custom", path: ["personal_data"], message: "personal_data has no values: leave it out instead" });
    else if (names.length > maxPersonalValues) ctx.addIssue({ code: "custom", path: ["personal_data"], message: `at most ${maxPersonalValues} personal values per event` });
    else if (problem) ctx.addIssue({ code: "custom", path: ["personal_data"], message: problem });
    else if (new TextEncoder().encode(JSON.stringify(event.personal_data)).length > maxPersonalDataBytes) {
      ctx.addIssue({ code: "custom", path: ["personal_data"], message: `personal_data is larger than ${maxPersonalDataBytes} bytes` });
    }
  }
  if ((consentEventTypes as readonly string[]).includes(event.event_type)) {
    const subjects = new Set(Object.values(event.personal_data ?? {}).map((p) => p.subject_id));
    if (subjects.size !== 1) {
      ctx.addIssue({ code: "custom", path: ["personal_data"], message: `${event.event_type} events carry personal_data of exactly one data subject (whose consent it is)` });
    }
  }
  const problem = unstorableJson(event.metadata, "metadata");
  if (problem) ctx.addIssue({ code: "custom", path: ["metadata"], message: problem });
  else if (new TextEncoder().encode(JSON.stringify(event.metadata)).length > maxMetadataBytes) {
    ctx.addIssue({ code: "custom", path: ["metadata"], message: `metadata is larger than ${maxMetadataBytes} bytes` });
  }
  const rule = metadataRules[event.event_type];
  if (rule) {
    const result = rule.safeParse(event.metadata);
    if (!result.success) {
      for (const issue of result.error.issues) {
        ctx.addIssue({ code: "custom", path: ["metadata", ...issue.path as (string | number)[]], message: issue.message });
      }
    }
  }
});

export type EventInput = z.infer<typeof eventInput>;

/** For callers: an event type they may write (the reserved ones are appended by Evident only). */
export const callerEventInput = eventInput.superRefine((event, ctx) => {
  if (reservedEventTypes.has(event.event_type)) {
    ctx.addIssue({ code: "custom", path: ["event_type"], message: `${event.event_type} events are written by Evident itself` });
  }
});

export const appendRequest = z.strictObject({
  organization_id: uuid,
  events: z.array(callerEventInput).min(1, "at least one event is required")
    .max(maxEventsPerRequest, `at most ${maxEventsPerRequest} events per request`),
}).superRefine((body, ctx) => {
  const seen = new Map<string, number>();
  body.events.forEach((event, index) => {
    if (event.idempotency_key === undefined) return;
    const first = seen.get(event.idempotency_key);
    if (first !== undefined) {
      ctx.addIssue({ code: "custom", path: ["events", index, "idempotency_key"], message: `repeats the key of events[${first}]` });
    } else seen.set(event.idempotency_key, index);
  });
});

export type AppendRequest = z.infer<typeof appendRequest>;

export const readQuery = z.strictObject({
  organization_id: uuid,
  purpose: text(3, 500),
  start: timestamp.optional(),
  end: timestamp.optional(),
  event_type: text(1, 64).optional(),
  target_id: text(1, 256).optional(),
  // A seq, or (as next_cursor gives it when a page ends between two rows of one seq, which only a
  // tampered trail holds) seq@created_at.
  after_seq: z.string()
    .regex(/^\d{1,15}(?:@\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)?$/, "after_seq is a sequence number (or a next_cursor as given)")
    .transform((cursor) => {
      const [seq, createdAt] = cursor.split("@");
      return { seq: Number(seq), createdAt: createdAt as string | undefined };
    })
    .optional(),
  limit: z.string().regex(/^\d{1,4}$/, "limit is a number from 1 to 1000").transform(Number)
    .refine((n) => n >= 1 && n <= 1000, "limit is a number from 1 to 1000").optional(),
});

export type ReadQuery = z.infer<typeof readQuery>;
