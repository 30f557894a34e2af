// What a caller may append. Event types that the transparency SQL reads have their own metadata
// rules (docs/event-types.md); any other type is allowed if its name follows the naming rule.
import { z } from "zod";
import { statementSchema } from "../sor/contract.ts";
import { text, timestamp, unstorableJson, uuid } from "./values.ts";

export const maxEventsPerRequest = 1000;
export const maxMetadataBytes = 64 * 1024;
export const eventTypePattern = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;

/** Written only by Evident itself (the audited read path, verification runs); callers may not forge them. */
export const reservedEventTypes = new Set([
  "audit_access", "audit_verification", "key_rotated", "authority_data_request", "sor_submitted", "compliance_audit_completed", "access_refused",
  "legal_hold",
  "backup_verified",
  "retention_action",
]);

export const decisionActions = [
  "content_removed", "content_disabled", "content_demoted", "content_age_restricted",
  "content_interaction_restricted", "content_labelled", "monetary_suspended", "monetary_terminated",
  "service_suspended", "service_terminated", "account_suspended", "account_terminated", "no_action",
] as const;

const metadataRules: Record<string, z.ZodType> = {
  report_submitted: z.looseObject({
    report_type: z.enum(["illegal_content", "policy_violation"]),
    is_trusted_flagger: z.boolean(),
    trusted_flagger_id: text(1, 200).optional(),
  }).refine((m) => !m.is_trusted_flagger || m.trusted_flagger_id !== undefined, {
    message: "trusted_flagger_id is required when is_trusted_flagger is true",
    path: ["trusted_flagger_id"],
  }),
  // statement_of_reasons (optional): a Statement of Reasons for the Transparency Database, queued in
  // the same transaction (docs/sor-submission.md); it must pass the Commission's rules.
  decision_made: z.looseObject({ action: z.enum(decisionActions), statement_of_reasons: statementSchema.optional() }),
  appeal_decided: z.looseObject({ outcome: z.enum(["upheld", "reversed", "modified"]) }),
  audit_access: z.looseObject({
    accessor_type: text(1, 64),
    purpose: text(3, 500),
    query_parameters: z.record(z.string(), z.unknown()),
    permission_verified: z.boolean(),
  }),
};

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
}).superRefine((event, ctx) => {
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
  after_seq: z.string().regex(/^\d{1,15}$/, "after_seq is a sequence number").transform(Number).optional(),
  limit: z.string().regex(/^\d{1,4}$/, "limit is a number from 1 to 1000").transform(Number)
    .refine((n) => n >= 1 && n <= 1000, "limit is a number from 1 to 1000").optional(),
});

export type ReadQuery = z.infer<typeof readQuery>;
