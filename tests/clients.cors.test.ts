// Browsers calling the functions: every function answers a CORS preflight exactly as a browser
// sends it, and every answer (errors included) carries the CORS headers, so supabase-js in a web
// app can call them and read their refusals. The allowed origins come from EVIDENT_CORS_ORIGINS
// ("*" unless set, as in the test stack; a list in production), tested on handle() directly.
// The last block drives a real headless Chromium (Debian's `chromium` package, through
// playwright-core) running supabase-js from a page on another origin.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import path from "node:path";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../scripts/stack/config.ts";
import { corsAllowedHeaders, CorsPolicy } from "../supabase/functions/_shared/cors.ts";
import { ConfigurationError } from "../supabase/functions/_shared/env.ts";
import { ApiError } from "../supabase/functions/_shared/errors.ts";
import { handle, json } from "../supabase/functions/_shared/http.ts";
import { countEvents, createMember, createOrganization, userToken } from "./support/api.ts";
import { adminSql, functionUrl, testStack } from "./support/stack.ts";

const functionNames = readdirSync(path.join(repoRoot, "supabase/functions"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && !entry.name.startsWith("_") && existsSync(path.join(repoRoot, "supabase/functions", entry.name, "index.ts")))
  .map((entry) => entry.name);
const browserOrigin = "http://localhost:5173";
const supabaseJsHeaders = ["authorization", "x-client-info", "apikey", "content-type"];

/** The preflight Chromium sends before supabase-js's functions.invoke with a JSON body. */
const preflight = (name: string, method = "POST") => fetch(functionUrl(name), {
  method: "OPTIONS",
  headers: {
    origin: browserOrigin,
    "access-control-request-method": method,
    "access-control-request-headers": "apikey,authorization,content-type,x-client-info",
    "sec-fetch-mode": "cors",
    "sec-fetch-site": "cross-site",
    "sec-fetch-dest": "empty",
    referer: `${browserOrigin}/`,
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
  },
});

const listed = (value: string | null) => (value ?? "").split(",").map((v) => v.trim().toLowerCase());

describe("preflight requests, as a browser sends them", () => {
  it("finds all ten functions", () => {
    expect(functionNames.sort()).toEqual(["audit-events", "audit-keys", "audit-maintenance", "audit-verify", "authority-requests",
      "compliance-reports", "gdpr", "health", "legal-holds", "sor-submit"]);
  });

  for (const name of functionNames) {
    it(`${name} answers the preflight with 204 and the CORS headers, without credentials`, async () => {
      for (const method of ["POST", "GET"]) {
        const response = await preflight(name, method);
        expect(response.status).toBe(204);
        expect(response.headers.get("access-control-allow-origin")).toBe("*");
        expect(listed(response.headers.get("access-control-allow-methods"))).toEqual(expect.arrayContaining(["get", "post", "options"]));
        expect(listed(response.headers.get("access-control-allow-headers"))).toEqual(expect.arrayContaining(supabaseJsHeaders));
      }
    });
  }

  it("answers a preflight below a function's path (…/legal-holds/<id>/release) too", async () => {
    const response = await fetch(functionUrl(`legal-holds/${crypto.randomUUID()}/release`), {
      method: "OPTIONS",
      headers: { origin: browserOrigin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("CORS headers on every answer, errors included", () => {
  const cases: Array<[string, string, RequestInit, number]> = [
    ["a success", "audit-keys", {}, 200],
    ["401 without credentials", "audit-events", { method: "POST", body: "{}", headers: { "content-type": "application/json" } }, 401],
    ["401 for health without credentials", "health", {}, 401],
    ["403 for the publishable key", "audit-events", { headers: { apikey: testStack.publishableKey } }, 403],
    ["405 for a wrong method", "audit-keys", { method: "DELETE" }, 405],
    ["400 for bad input", "audit-verify", { headers: { apikey: testStack.secretKey } }, 400],
    ["404 for a route that does not exist", "gdpr", { headers: { apikey: testStack.secretKey } }, 404],
  ];
  for (const [label, name, init, status] of cases) {
    it(`${label} (${name})`, async () => {
      const response = await fetch(functionUrl(name), { ...init, headers: { origin: browserOrigin, ...(init.headers as Record<string, string>) } });
      expect(response.status).toBe(status);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      if (status >= 400) expect((await response.json()).error.code).toMatch(/^[a-z_]+$/);
    });
  }

  it("the CSV export's file name is readable by a page (content-disposition exposed)", async () => {
    const sql = adminSql();
    try {
      const org = await createOrganization(sql, "cors csv");
      const response = await fetch(functionUrl("compliance-reports/export/csv", { organization_id: org, purpose: "cors exposure check" }), {
        headers: { origin: browserOrigin, apikey: testStack.secretKey },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-disposition")).toMatch(/attachment/);
      expect(listed(response.headers.get("access-control-expose-headers"))).toContain("content-disposition");
    } finally {
      await sql.end();
    }
  });
});

describe("EVIDENT_CORS_ORIGINS", () => {
  const saved = process.env.EVIDENT_CORS_ORIGINS;
  afterAll(() => {
    if (saved === undefined) delete process.env.EVIDENT_CORS_ORIGINS;
    else process.env.EVIDENT_CORS_ORIGINS = saved;
  });
  const request = (method: string, origin?: string) => new Request("http://local/functions/v1/audit-events", {
    method,
    headers: { ...(origin ? { origin } : {}), ...(method === "OPTIONS" ? { "access-control-request-method": "POST" } : {}) },
  });

  it("defaults to * when unset", async () => {
    delete process.env.EVIDENT_CORS_ORIGINS;
    const handler = handle(() => Promise.resolve(json(200, { ok: true })));
    const answer = await handler(request("GET", "https://anything.example"));
    expect(answer.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("with a list, answers only the listed origins, on preflights, successes and errors, and varies on Origin", async () => {
    process.env.EVIDENT_CORS_ORIGINS = "https://admin.example.com, https://moderation.example.com:8443";
    const ok = handle(() => Promise.resolve(json(200, { ok: true })));
    const refusing = handle(() => Promise.reject(new ApiError(403, "forbidden", "no")));

    const allowed = await ok(request("OPTIONS", "https://admin.example.com"));
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://admin.example.com");
    expect(allowed.headers.get("vary")).toMatch(/Origin/);
    expect(listed(allowed.headers.get("access-control-allow-headers"))).toEqual(listed(corsAllowedHeaders));

    const other = await ok(request("OPTIONS", "https://evil.example"));
    expect(other.status).toBe(403);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    expect((await other.json()).error.code).toBe("forbidden");

    const second = await ok(request("GET", "https://moderation.example.com:8443"));
    expect(second.headers.get("access-control-allow-origin")).toBe("https://moderation.example.com:8443");
    const error = await refusing(request("GET", "https://admin.example.com"));
    expect(error.status).toBe(403);
    expect(error.headers.get("access-control-allow-origin")).toBe("https://admin.example.com");
    const notListed = await ok(request("GET", "https://evil.example"));
    expect(notListed.status).toBe(200);
    expect(notListed.headers.get("access-control-allow-origin")).toBeNull();
    expect(notListed.headers.get("vary")).toMatch(/Origin/);
    // Server-to-server callers send no Origin and are unaffected.
    expect((await ok(request("GET"))).status).toBe(200);
  });

  it("refuses to start on a malformed list, naming the entry", () => {
    for (const bad of ["admin.example.com", "https://admin.example.com/app", "*, https://admin.example.com", "ftp://files.example.com"]) {
      process.env.EVIDENT_CORS_ORIGINS = bad;
      expect(() => handle(() => Promise.resolve(json(200, {}))), bad).toThrow(ConfigurationError);
    }
    expect(() => CorsPolicy.parse("https://admin.example.com/")).not.toThrow();
  });
});

// A real browser: Debian's chromium (CI installs it; CHROMIUM_PATH overrides where it is).
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

describe("supabase-js in a headless Chromium, from a page on another origin", () => {
  let server: Server;
  let pageOrigin: string;
  let sql: postgres.Sql;
  let org: string;
  let adminJwt: string;

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) {
      throw new Error(`no Chromium at ${chromiumPath}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH`);
    }
    sql = adminSql();
    org = await createOrganization(sql, "browser org");
    adminJwt = await userToken(await createMember(sql, org, "admin"));
    const supabaseJs = readFileSync(path.join(repoRoot, "node_modules/@supabase/supabase-js/dist/umd/supabase.js"));
    server = createServer((req, res) => {
      if (req.url === "/supabase.js") res.writeHead(200, { "content-type": "text/javascript" }).end(supabaseJs);
      else res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>moderation tool</title>");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    // "localhost" and the functions' 127.0.0.1 are different origins: every call is cross-origin.
    pageOrigin = `http://localhost:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await sql?.end();
  });

  it("invokes functions with the publishable key and a signed-in user's JWT, and reads refusals", async () => {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
    try {
      const page = await browser.newPage();
      await page.goto(`${pageOrigin}/`);
      await page.addScriptTag({ url: "/supabase.js" });
      const before = await countEvents(sql, org);
      const results = await page.evaluate(async ({ apiUrl, publishableKey, adminJwt, org }) => {
        // deno-lint-ignore no-explicit-any
        const { createClient } = (globalThis as any).supabase;
        const anonymous = createClient(apiUrl, publishableKey);
        const member = createClient(apiUrl, publishableKey, { accessToken: async () => adminJwt });
        const status = async (call: Promise<{ data: unknown; error: any; response?: Response }>) => {
          const { data, error, response } = await call;
          if (error) return { status: error.context?.status ?? null, name: error.name, body: error.context ? await error.context.json() : null };
          return { status: response?.status ?? null, body: data };
        };
        return {
          origin: location.origin,
          health: await status(anonymous.functions.invoke("health", { method: "GET" })),
          appendRefused: await status(anonymous.functions.invoke("audit-events", { body: { organization_id: org, events: [] } })),
          append: await status(member.functions.invoke("audit-events", {
            body: { organization_id: org, events: [{ event_type: "decision_made", actor_id: "moderator-9", actor_type: "user", target_id: "post-9", target_type: "content", action: "remove", metadata: { action: "content_removed" } }] },
          })),
          read: await status(member.functions.invoke(`audit-events?organization_id=${org}&purpose=${encodeURIComponent("browser review")}`, { method: "GET" })),
        };
      }, { apiUrl: testStack.apiUrl, publishableKey: testStack.publishableKey, adminJwt, org });

      expect(results.origin).toBe(pageOrigin);
      expect(results.health).toMatchObject({ status: 200, body: { status: "ok" } });
      // The refusal is readable: a FunctionsHttpError with the 403 and its JSON, not a network error.
      expect(results.appendRefused).toMatchObject({ status: 403, name: "FunctionsHttpError", body: { error: { code: "forbidden" } } });
      expect(results.append).toMatchObject({ status: 201 });
      expect(results.read).toMatchObject({ status: 200 });
      expect(await countEvents(sql, org)).toBe(before + 2); // the append and the read's audit_access event
    } finally {
      await browser.close();
    }
  });
});
