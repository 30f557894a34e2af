// The Transparency Database client (supabase/functions/_shared/sor/client.ts) against the local
// server, and the backoff the worker uses.
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseRetryAfter, TdbClient, tdbConfigFromEnv } from "../supabase/functions/_shared/sor/client.ts";
import { backoffMs } from "../supabase/functions/_shared/sor/submit.ts";
import { sampleStatement } from "./support/sor.ts";
import { startTdbServer, type TdbServer } from "./support/tdb-server.ts";

let tdb: TdbServer;
const token = "client-test-token";

beforeAll(async () => {
  tdb = await startTdbServer({ users: { [token]: { platformId: 3 } } });
});
afterAll(async () => await tdb.close());
beforeEach(() => tdb.reset());

describe("TdbClient", () => {
  it("submits one statement and finds its puid; 404 for one it does not have", async () => {
    const client = new TdbClient({ url: tdb.url, token });
    const statement = sampleStatement();
    const stored = await client.submitOne(JSON.stringify(statement));
    expect(stored).toMatchObject({ kind: "response", status: 201, body: { puid: statement.puid } });
    expect(await client.existingPuid(String(statement.puid))).toMatchObject({ kind: "response", status: 302 });
    expect(await client.existingPuid("never-sent")).toMatchObject({ kind: "response", status: 404 });
  });

  it("submits a batch as the exact texts given, in order", async () => {
    const client = new TdbClient({ url: tdb.url, token });
    const texts = [sampleStatement(), sampleStatement()].map((s) => JSON.stringify(s));
    const result = await client.submitBatch(texts);
    expect(result.kind === "response" && result.status).toBe(201);
    const body = (result as { body: { statements: Array<{ puid: string; uuid: string }> } }).body;
    expect(body.statements.map((s) => s.puid)).toEqual(texts.map((t) => JSON.parse(t).puid));
  });

  it("sends Accept: application/json, so a bad token is a 401, not a redirect", async () => {
    const result = await new TdbClient({ url: tdb.url, token: "wrong" }).submitBatch([JSON.stringify(sampleStatement())]);
    expect(result).toMatchObject({ kind: "response", status: 401, body: { message: "Unauthenticated." } });
  });

  it("reports Retry-After, timeouts and network errors as such", async () => {
    tdb.inject("statements", { kind: "status", status: 429, retryAfter: 12 }, { kind: "hang" });
    const client = new TdbClient({ url: tdb.url, token, timeoutMs: 300 });
    expect(await client.submitBatch([JSON.stringify(sampleStatement())])).toMatchObject({ kind: "response", status: 429, retryAfterSeconds: 12 });
    expect(await client.submitBatch([JSON.stringify(sampleStatement())])).toEqual({ kind: "timeout" });
    const closed = await new TdbClient({ url: "http://127.0.0.1:1", token }).existingPuid("x");
    expect(closed.kind).toBe("network");
    expect(JSON.stringify(closed)).not.toContain(token);
  });

  it("reads its configuration from DSA_TDB_URL and DSA_TDB_TOKEN only, naming what is missing without values", () => {
    const saved = { url: process.env.DSA_TDB_URL, token: process.env.DSA_TDB_TOKEN };
    try {
      delete process.env.DSA_TDB_URL;
      process.env.DSA_TDB_TOKEN = "secret-value-123";
      expect(() => tdbConfigFromEnv()).toThrow(/DSA_TDB_URL is not set/);
      process.env.DSA_TDB_URL = "ftp://example.com";
      expect(() => tdbConfigFromEnv()).toThrow(/must be an http\(s\) URL/);
      process.env.DSA_TDB_URL = "https://transparency.example";
      delete process.env.DSA_TDB_TOKEN;
      expect(() => tdbConfigFromEnv()).toThrow(/DSA_TDB_TOKEN is not set/);
    } finally {
      if (saved.url === undefined) delete process.env.DSA_TDB_URL; else process.env.DSA_TDB_URL = saved.url;
      if (saved.token === undefined) delete process.env.DSA_TDB_TOKEN; else process.env.DSA_TDB_TOKEN = saved.token;
    }
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("30")).toBe(30);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("soon")).toBeUndefined();
    const inAMinute = new Date(Date.now() + 60_000).toUTCString();
    expect(parseRetryAfter(inAMinute)).toBeGreaterThanOrEqual(58);
  });
});

describe("backoff", () => {
  it("is full-jitter exponential: between half and all of base·2^(n−1), capped, never below Retry-After", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 40 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), fc.option(fc.integer({ min: 0, max: 7200 }), { nil: undefined }),
      (attempt, r, retryAfter) => {
        const o = { baseDelayMs: 1000, maxDelayMs: 3_600_000, random: () => r };
        const ceiling = Math.min(o.maxDelayMs, 1000 * 2 ** (attempt - 1));
        const delay = backoffMs(attempt, o, retryAfter);
        expect(delay).toBeGreaterThanOrEqual(Math.max(ceiling / 2, (retryAfter ?? 0) * 1000) - 1);
        expect(delay).toBeLessThanOrEqual(Math.max(ceiling, (retryAfter ?? 0) * 1000));
      },
    ), { numRuns: 300 });
  });
});
