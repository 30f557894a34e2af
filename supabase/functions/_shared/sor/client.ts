// The Transparency Database API client (routes/api_v1.php of digital-services-act/transparency-database):
//   POST /api/v1/statement                     one statement          → 201 the stored statement
//   POST /api/v1/statements                    {"statements": [1..100]} → 201 {"statements": [...]}
//   GET  /api/v1/statement/existing-puid/{puid}                       → 302 found / 404 not found
// Bearer-token auth (Laravel Sanctum). `Accept: application/json` matters: without it Laravel
// answers an unauthenticated call with a redirect to its login page instead of a 401.
// The URL and token come only from DSA_TDB_URL and DSA_TDB_TOKEN; neither is ever logged or put
// into an error message.
import { ConfigurationError, readEnv } from "../env.ts";

export interface TdbConfig {
  /** Base URL, e.g. https://transparency.dsa.ec.europa.eu (the /api/v1 prefix is added here). */
  url: string;
  token: string;
  /** Per-request timeout; a request that takes longer is aborted and counted as a timeout. */
  timeoutMs?: number;
}

export type TdbResult =
  | { kind: "response"; status: number; body: unknown; retryAfterSeconds?: number }
  | { kind: "timeout" }
  | { kind: "network"; message: string };

export function tdbConfigFromEnv(): TdbConfig {
  const url = readEnv("DSA_TDB_URL");
  const token = readEnv("DSA_TDB_TOKEN");
  if (!url) throw new ConfigurationError("DSA_TDB_URL is not set: the Transparency Database's base URL");
  if (!token) throw new ConfigurationError("DSA_TDB_TOKEN is not set: the platform's Transparency Database API token");
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigurationError("DSA_TDB_URL is not a URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new ConfigurationError("DSA_TDB_URL must be an http(s) URL");
  const timeout = Number(readEnv("DSA_TDB_TIMEOUT_MS") ?? "30000");
  return { url, token, timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : 30000 };
}

export class TdbClient {
  constructor(private readonly config: TdbConfig) {}

  /** The longest one request may take. */
  get timeoutMs(): number {
    return this.config.timeoutMs ?? 30000;
  }

  /** POST /api/v1/statements: the statements are sent as the exact canonical JSON texts given. */
  submitBatch(statementTexts: string[]): Promise<TdbResult> {
    return this.request("POST", "/api/v1/statements", `{"statements":[${statementTexts.join(",")}]}`);
  }

  /** POST /api/v1/statement with the exact text given. */
  submitOne(statementText: string): Promise<TdbResult> {
    return this.request("POST", "/api/v1/statement", statementText);
  }

  /** GET /api/v1/statement/existing-puid/{puid}: 302 when the platform already submitted it, 404 otherwise. */
  existingPuid(puid: string): Promise<TdbResult> {
    return this.request("GET", `/api/v1/statement/existing-puid/${encodeURIComponent(puid)}`);
  }

  private async request(method: string, path: string, body?: string): Promise<TdbResult> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const response = await fetch(new URL(path, this.config.url), {
        method,
        headers: {
          authorization: `Bearer ${this.config.token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body,
        // existing-puid answers 302 for "found", with no Location: never follow it.
        redirect: "manual",
        signal: controller.signal,
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === "" ? null : JSON.parse(text);
      } catch {
        // Not JSON (a proxy's error page): keep the text, shortened.
        parsed = text.slice(0, 2000);
      }
      const retryAfter = parseRetryAfter(response.headers.get("retry-after"));
      return { kind: "response", status: response.status, body: parsed, ...(retryAfter === undefined ? {} : { retryAfterSeconds: retryAfter }) };
    } catch (error) {
      if (controller.signal.aborted) return { kind: "timeout" };
      // The message of a fetch failure names the host at most; never the token.
      return { kind: "network", message: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Retry-After as seconds (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
