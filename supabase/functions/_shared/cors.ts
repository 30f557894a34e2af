// CORS for browsers calling the functions (supabase-js in a web app). On hosted Supabase the
// gateway hands a preflight OPTIONS to the function, so each function answers it itself (through
// handle() in http.ts), and every answer, errors included, carries the CORS headers.
//
//   EVIDENT_CORS_ORIGINS   "*" (the default when unset), or a comma-separated list of origins
//                          (https://admin.example.com,https://moderation.example.com).
//
// With "*" every origin may read the answers: the functions take credentials only from the
// Authorization and apikey headers, never from cookies, so a page still needs a key or a token to
// get anything. A list answers only those origins (and varies the answer on Origin). Invalid
// entries stop the function at start-up, naming the entry.
import { ConfigurationError, readEnv } from "./env.ts";

export const corsOriginsVariable = "EVIDENT_CORS_ORIGINS";
/** Every header supabase-js sends (its own `@supabase/supabase-js/cors` list, plus functions-js's x-region). */
export const corsAllowedHeaders = "authorization, x-client-info, apikey, content-type, x-retry-count, x-region";
export const corsAllowedMethods = "GET, POST, OPTIONS";
/** Headers a browser script may read besides the CORS-safelisted ones (the CSV export's file name). */
export const corsExposedHeaders = "content-disposition";
const preflightMaxAgeSeconds = "86400";

export class CorsPolicy {
  private constructor(private readonly origins: "*" | Set<string>) {}

  /** "*", or a comma-separated list of origins (scheme://host[:port], no path). */
  static parse(text: string | undefined): CorsPolicy {
    const entries = (text ?? "*").split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
    if (entries.length === 0 || (entries.length === 1 && entries[0] === "*")) return new CorsPolicy("*");
    const origins = new Set<string>();
    for (const entry of entries) {
      if (entry === "*") throw new ConfigurationError(`${corsOriginsVariable}: "*" cannot be combined with a list of origins`);
      let url: URL;
      try {
        url = new URL(entry);
      } catch {
        throw new ConfigurationError(`${corsOriginsVariable}: ${JSON.stringify(entry)} is not an origin such as https://admin.example.com`);
      }
      if (!/^https?:$/.test(url.protocol) || url.origin !== entry.replace(/\/$/, "").toLowerCase() || url.pathname !== "/" || url.search || url.hash) {
        throw new ConfigurationError(`${corsOriginsVariable}: ${JSON.stringify(entry)} is not an origin such as https://admin.example.com (scheme, host and port only)`);
      }
      origins.add(url.origin);
    }
    return new CorsPolicy(origins);
  }

  static fromEnv(): CorsPolicy {
    return CorsPolicy.parse(readEnv(corsOriginsVariable));
  }

  /** Whether a browser page at this origin may read the answers. */
  allows(origin: string | null): boolean {
    return this.origins === "*" || (origin !== null && this.origins.has(origin.toLowerCase()));
  }

  /** The CORS headers every answer to this request carries. */
  headersFor(request: Request): Record<string, string> {
    if (this.origins === "*") return { "access-control-allow-origin": "*", "access-control-expose-headers": corsExposedHeaders };
    const origin = request.headers.get("origin");
    const headers: Record<string, string> = { vary: "Origin" };
    if (origin !== null && this.allows(origin)) {
      headers["access-control-allow-origin"] = origin;
      headers["access-control-expose-headers"] = corsExposedHeaders;
    }
    return headers;
  }

  /** The answer to a preflight (or any OPTIONS): 204 with the CORS headers; 403 for an origin not on the list. */
  preflight(request: Request): Response {
    const origin = request.headers.get("origin");
    const headers: Record<string, string> = {
      ...this.headersFor(request),
      "access-control-allow-methods": corsAllowedMethods,
      "access-control-allow-headers": corsAllowedHeaders,
      "access-control-max-age": preflightMaxAgeSeconds,
    };
    if (origin !== null && !this.allows(origin)) {
      return new Response(JSON.stringify({ error: { code: "forbidden", message: `origin ${origin} is not allowed to call this function` } }), {
        status: 403,
        headers: { ...headers, "content-type": "application/json; charset=utf-8" },
      });
    }
    return new Response(null, { status: 204, headers });
  }

  /** The response with this request's CORS headers added. */
  apply(request: Request, response: Response): Response {
    const cors = this.headersFor(request);
    try {
      for (const [name, value] of Object.entries(cors)) {
        if (name === "vary") response.headers.append(name, value);
        else response.headers.set(name, value);
      }
      return response;
    } catch {
      // Immutable headers (a Response.redirect or a fetched response): copy into a new one.
      const headers = new Headers(response.headers);
      for (const [name, value] of Object.entries(cors)) headers.set(name, value);
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }
  }
}
