// Caller input through a zod schema: the data, or a 400 that names every problem.
import type { z } from "zod";
import { ApiError } from "../errors.ts";
import { describeIssues } from "./values.ts";

export function parseInput<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = describeIssues(result.error);
    throw new ApiError(400, "invalid_request", `invalid ${what}: ${issues[0].path}: ${issues[0].message}`, { issues });
  }
  return result.data;
}

/** Query parameters as an object; a parameter given twice is a 400, not a silent choice. */
export function queryParameters(request: Request): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [key, value] of new URL(request.url).searchParams) {
    if (key in raw) throw new ApiError(400, "invalid_request", `query parameter ${key} is given twice`);
    raw[key] = value;
  }
  return raw;
}
