// Default retention: how long an event must be kept when the caller does not say. Seven years for
// audit events (DSA Art. 24 and GDPR Art. 30 evidence; the GrowBro guide's documented policy),
// counted from when Evident recorded the event. Personal data inside events is handled apart
// from this (30-day anonymisation, docs/event-types.md).
import { addYears } from "./time.ts";

export const defaultRetentionYears = 7;

/** Event types kept for a different period than the default. None yet; the table is the policy. */
export const retentionYearsByEventType: Record<string, number> = {};

export function retentionUntil(eventType: string, createdAt: string): string {
  return addYears(createdAt, retentionYearsByEventType[eventType] ?? defaultRetentionYears);
}
