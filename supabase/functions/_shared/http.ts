// Request plumbing shared by every function: JSON answers, the error shape, and the one place
// where an unexpected failure becomes a 500 without leaking its details to the caller.
import { ApiError, fromDatabaseError } from "./errors.ts";
import { CorsPolicy } from "./cors.ts";

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

/**
 * Wraps a handler so that every refusal is a JSON error and nothing internal escapes. It also
 * answers CORS preflights (OPTIONS) and puts the CORS headers on every answer, errors included
 * (cors.ts; EVIDENT_CORS_ORIGINS is read here, at start-up).
 */
export function handle(handler: RequestHandler): (request: Request) => Promise<Response> {
  const cors = CorsPolicy.fromEnv();
  return async (request) => {
    if (request.method === "OPTIONS") return cors.preflight(request);
    return cors.apply(request, await answer(handler, request));
  };
}

async function answer(handler: RequestHandler, request: Request): Promise<Response> {
  try {
    return await handler(request);
  } catch (error) {
    if (error instanceof ApiError) return errorResponse(error);
    const mapped = fromDatabaseError(error);
    if (mapped) return errorResponse(mapped);
    console.error("unhandled error:", error instanceof Error ? `${error.name}: ${error.message}` : error);
    return errorResponse(new ApiError(500, "internal_error", "internal error"));
  }
}

export function requireMethod(request: Request, ...allowed: string[]): void {
  if (!allowed.includes(request.method)) {
    throw new ApiError(405, "method_not_allowed", `method ${request.method} is not allowed; use ${allowed.join(" or ")}`);
  }
}

/** Reads a JSON request body of at most maxBytes; 415, 413 or 400 otherwise. */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError(415, "unsupported_media_type", "send the body as application/json");
  }
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (declared > maxBytes) throw new ApiError(413, "payload_too_large", `the body is larger than ${maxBytes} bytes`);
  if (!request.body) throw new ApiError(400, "invalid_request", "the request has no body");
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new ApiError(413, "payload_too_large", `the body is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, "invalid_request", "the body is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, "invalid_request", `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * `…/<function>/<id>/<action>`: the id (a UUID) and the action, or undefined for the function's
 * own path. Anything else below it is a 404 naming the routes that exist; a malformed id, a 400.
 */
export function resourceAction(request: Request, functionName: string, actions: string[]): { id: string; action: string } | undefined {
  const pathname = new URL(request.url).pathname;
  const at = pathname.indexOf(`/${functionName}`);
  const rest = at === -1 ? "" : pathname.slice(at + functionName.length + 1).replace(/\/$/, "");
  if (rest === "") return undefined;
  const match = /^\/([^/]+)\/([^/]+)$/.exec(rest);
  if (!match || !actions.includes(match[2])) {
    throw new ApiError(404, "not_found", `no such route: the routes below ${functionName} are ${actions.map((a) => `…/${functionName}/<id>/${a}`).join(", ")}`);
  }
  // A path segment that is not valid percent-encoded UTF-8 (`%`, `%FF`, a lone surrogate such as
  // `%ED%A0%80`) makes decodeURIComponent throw: the caller's input, so a 400, never a 500.
  let id: string;
  try {
    id = decodeURIComponent(match[1]);
  } catch {
    throw new ApiError(400, "invalid_request", "the id in the path is not valid percent-encoded UTF-8 (it must be a UUID)");
  }
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    throw new ApiError(400, "invalid_request", `${JSON.stringify(id.slice(0, 64))} is not an id (a UUID)`);
  }
  return { id: id.toLowerCase(), action: match[2] };
}
