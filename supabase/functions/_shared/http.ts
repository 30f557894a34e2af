// Request plumbing shared by every function: JSON answers, the error shape, and the one place
// where an unexpected failure becomes a 500 without leaking its details to the caller.
import { ApiError, fromDatabaseError } from "./errors.ts";

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

export function errorResponse(error: ApiError): Response {
  return json(error.status, error.body());
}

export type RequestHandler = (request: Request) => Promise<Response>;

/** Wraps a handler so that every refusal is a JSON error and nothing internal escapes. */
export function handle(handler: RequestHandler): (request: Request) => Promise<Response> {
  return async (request) => {
    try {
      return await handler(request);
    } catch (error) {
      if (error instanceof ApiError) return errorResponse(error);
      const mapped = fromDatabaseError(error);
      if (mapped) return errorResponse(mapped);
      console.error("unhandled error:", error instanceof Error ? `${error.name}: ${error.message}` : error);
      return errorResponse(new ApiError(500, "internal_error", "internal error"));
    }
  };
}

export function requireMethod(request: Request, ...allowed: string[]): void {
  if (!allowed.includes(request.method)) {
    throw new ApiError(405, "method_not_allowed", `method ${request.method} is not allowed; use ${allowed.join(" or ")}`);
  }
}
