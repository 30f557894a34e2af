// Timestamps in the canonical form: UTC, ISO 8601, exactly six fractional digits, a trailing Z.
// PostgreSQL keeps microseconds, so six digits round-trip exactly; JavaScript's Date keeps only
// milliseconds, so the fraction is carried as text and never through a Date.

const isoInput = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/;
export const canonicalTimestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/**
 * Parses an ISO 8601 timestamp with an explicit offset (Z or ±HH:MM) and at most microsecond
 * precision, and renders it canonically. Returns undefined for anything else, including dates
 * that do not exist (2026-02-30).
 */
export function canonicalTimestamp(input: string): string | undefined {
  const match = isoInput.exec(input);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = "", offset] = match;
  const wholeSeconds = Date.UTC(+year, +month - 1, +day, +hour, +minute, +second);
  const check = new Date(wholeSeconds);
  if (
    check.getUTCFullYear() !== +year || check.getUTCMonth() !== +month - 1 || check.getUTCDate() !== +day ||
    +hour > 23 || +minute > 59 || +second > 59
  ) return undefined;
  let offsetMinutes = 0;
  if (offset !== "Z") {
    const sign = offset[0] === "-" ? -1 : 1;
    const [oh, om] = offset.slice(1).split(":").map(Number);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const utc = new Date(wholeSeconds - offsetMinutes * 60_000);
  if (utc.getUTCFullYear() < 1 || utc.getUTCFullYear() > 9999) return undefined;
  return `${utc.toISOString().slice(0, 19)}.${fraction.padEnd(6, "0")}Z`;
}

/** Microseconds since the epoch of a canonical timestamp, for comparisons and arithmetic. */
export function epochMicros(canonical: string): bigint {
  const millis = Date.parse(canonical.slice(0, 19) + "Z");
  return BigInt(millis) * 1000n + BigInt(canonical.slice(20, 26));
}

/** The same instant `years` calendar years later (29 February becomes 28 February, as in PostgreSQL). */
export function addYears(canonical: string, years: number): string {
  const year = +canonical.slice(0, 4) + years;
  let rest = canonical.slice(4);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (rest.startsWith("-02-29") && !leap) rest = "-02-28" + rest.slice(6);
  return String(year).padStart(4, "0") + rest;
}
