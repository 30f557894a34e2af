// Input of the legal-holds function (docs/legal-holds.md).
import { z } from "zod";
import { epochMicros } from "../time.ts";
import { text, timestamp, uuid } from "./values.ts";

const reason = text(3, 1000);

export const applyHold = z.discriminatedUnion("scope", [
  z.strictObject({ organization_id: uuid, scope: z.literal("subject"), subject_id: text(1, 256), reason }),
  z.strictObject({ organization_id: uuid, scope: z.literal("target"), target_id: text(1, 256), reason }),
  z.strictObject({
    organization_id: uuid,
    scope: z.literal("time_range"),
    range: z.strictObject({ start: timestamp, end: timestamp })
      .refine((r) => epochMicros(r.start) < epochMicros(r.end), { message: "start must be before end", path: ["end"] }),
    reason,
  }),
], { error: () => "scope must be subject (with subject_id), target (with target_id) or time_range (with range)" });
export type ApplyHold = z.infer<typeof applyHold>;

export const releaseHold = z.strictObject({ reason });

export const listHolds = z.strictObject({
  organization_id: uuid,
  active: z.enum(["true", "false"]).optional(),
});
