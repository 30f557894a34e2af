// Input of the authority-requests function (docs/certified-export.md).
import { z } from "zod";
import { categoryFields, checkKeyword, memberState } from "../dsa/vocabulary.ts";
import { ordersCategories } from "../dsa/template.ts";
import { epochMicros } from "../time.ts";
import { text, timestamp, uuid } from "./values.ts";

export const createAuthorityRequest = z.strictObject({
  organization_id: uuid,
  /** Who asks: "European Commission", "Coimisiún na Meán", a court. */
  authority: text(1, 200),
  /** Under what law: "DSA Art. 40(1)", "GDPR Art. 58(1)(e)", a court order's reference. */
  legal_basis: text(1, 500),
  /** The authority's own reference for the request. */
  reference: text(1, 200).optional(),
  scope: z.strictObject({
    /** Events whose own timestamp lies in [start, end). */
    start: timestamp,
    end: timestamp,
    event_types: z.array(text(1, 64)).min(1).max(100).optional(),
    target_ids: z.array(text(1, 256)).min(1).max(1000).optional(),
  }).refine((s) => epochMicros(s.start) < epochMicros(s.end), { message: "start must be before end", path: ["end"] }),
  response_deadline: timestamp,
  /**
   * For the DSA transparency report (an order to provide information, Art. 10): the issuing Member
   * State and the category of illegal content the order cites (docs/event-types.md#dsa-transparency-fields).
   */
  member_state: memberState.optional(),
  ...categoryFields(ordersCategories),
}).superRefine(checkKeyword);
export type CreateAuthorityRequest = z.infer<typeof createAuthorityRequest>;

export const listAuthorityRequests = z.strictObject({
  organization_id: uuid,
  status: z.enum(["received", "responded"]).optional(),
});
