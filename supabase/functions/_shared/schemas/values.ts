// Value rules that every stored string and JSON document must meet, because PostgreSQL and the
// canonical form would otherwise disagree about them (text cannot hold U+0000; jsonb refuses lone
// surrogates; JSON numbers beyond 2^53 or Infinity do not round-trip through JavaScript).
import { z } from "zod";
import { canonicalTimestamp } from "../time.ts";

const maxDepth = 32;

/** Why a JSON value cannot be stored and re-verified exactly, with the path, or undefined. */
export function unstorableJson(value: unknown, path: string, depth = 0): string | undefined {
  if (depth > maxDepth) return `${path} nests deeper than ${maxDepth} levels`;
  if (typeof value === "string") return unstorableString(value, path);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return `${path} is not a finite number`;
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      return `${path} is an integer beyond ±2^53, which JSON parsers round; send it as a string`;
    }
    return undefined;
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const problem = unstorableJson(item, `${path}[${index}]`, depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = unstorableString(key, `${path} key ${JSON.stringify(key.slice(0, 40))}`);
      if (keyProblem) return keyProblem;
      const problem = unstorableJson(item, `${path}.${key}`, depth + 1);
      if (problem) return problem;
    }
  }
  return undefined;
}

export function unstorableString(value: string, path: string): string | undefined {
  if (value.includes("\u0000")) return `${path} contains U+0000, which PostgreSQL text cannot store`;
  // Lone surrogates have no UTF-8 encoding.
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) {
    return `${path} contains a lone UTF-16 surrogate`;
  }
  return undefined;
}

/**
 * A bounded, storable text field. Lengths count characters (code points), as PostgreSQL's
 * length() does, not UTF-16 units: "😀😀" is two characters on both sides.
 */
export const text = (min: number, max: number) =>
  z.string().max(max * 2).superRefine((value, ctx) => {
    const problem = unstorableString(value, "value");
    if (problem) {
      ctx.addIssue({ code: "custom", message: problem });
      return;
    }
    const length = [...value].length;
    if (length < min || length > max) {
      ctx.addIssue({ code: "custom", message: min === max ? `must be ${min} characters` : `must be ${min} to ${max} characters (is ${length})` });
    }
  });

/** An ISO 8601 timestamp with offset and at most microseconds, converted to the canonical form. */
export const timestamp = z.string().max(40).transform((value, ctx) => {
  const canonical = canonicalTimestamp(value);
  if (!canonical) {
    ctx.addIssue({
      code: "custom",
      message: "expected an ISO 8601 timestamp with an offset, e.g. 2026-11-23T09:30:00.123456Z (at most microseconds)",
    });
    return z.NEVER;
  }
  return canonical;
});

export const uuid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "expected a UUID")
  .transform((value) => value.toLowerCase());

/** Zod issues as a flat list a client can act on: where, and what is wrong. */
export function describeIssues(error: z.ZodError): Array<{ path: string; message: string }> {
  return error.issues.slice(0, 50).map((issue) => ({
    path: issue.path.map((part) => typeof part === "number" ? `[${part}]` : `.${String(part)}`).join("").replace(/^\./, "") || "(root)",
    message: issue.message,
  }));
}
