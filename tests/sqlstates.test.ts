// Issue 18 (6): one SQLSTATE registry. Every code the migrations raise (`errcode = 'EV…'`) is in
// _shared/errors.ts, and nothing is there that no migration raises; each maps to its HTTP status
// and error code (never a 500); docs/architecture.md lists the same codes with the same statuses;
// and no code compares SQLSTATEs as string literals outside the registry.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fromDatabaseError, hasSqlState, refusedValueCodes, sqlStateRegistry, sqlStates } from "../supabase/functions/_shared/errors.ts";
import { adminSql } from "./support/stack.ts";

const root = path.resolve(import.meta.dirname, "..");
const migrationsDir = path.join(root, "supabase/migrations");

/** Every errcode the migrations raise, with the files that raise it. */
function raisedCodes(): Map<string, string[]> {
  const raised = new Map<string, string[]>();
  for (const file of readdirSync(migrationsDir).filter((f) => f.endsWith(".sql")).sort()) {
    const sql = readFileSync(path.join(migrationsDir, file), "utf8").replace(/--[^\n]*/g, "");
    for (const match of sql.matchAll(/errcode\s*=\s*'([0-9A-Z]{5})'/gi)) {
      raised.set(match[1].toUpperCase(), [...(raised.get(match[1].toUpperCase()) ?? []), file]);
    }
  }
  return raised;
}

const registered = Object.values(sqlStateRegistry);

describe("the SQLSTATE registry", () => {
  it("holds exactly the EV codes the migrations raise", () => {
    const raised = [...raisedCodes().keys()].filter((code) => code.startsWith("EV")).sort();
    expect(raised.length).toBeGreaterThan(10);
    expect(registered.map((entry) => entry.code).sort()).toEqual(raised);
    expect(new Set(registered.map((entry) => entry.code)).size).toBe(registered.length);
  });

  it("raises no other code than a registered one or a standard one the API answers as bad input", () => {
    // 42501 (insufficient_privilege) is raised only by public.read_audit_events, the Data API's
    // read, which no edge function calls: PostgREST answers it with 403 itself.
    const dataApiOnly = new Set(["42501"]);
    const other = [...raisedCodes().keys()].filter((code) => !code.startsWith("EV") && !dataApiOnly.has(code));
    for (const code of other) expect(refusedValueCodes.has(code), `${code} (${raisedCodes().get(code)})`).toBe(true);
    for (const file of raisedCodes().get("42501") ?? []) expect(file).toMatch(/_data_api_reads_through_rpc\.sql$/);
  });

  it("maps every registered code to its status and error code, none a 500", () => {
    for (const entry of registered) {
      const mapped = fromDatabaseError(Object.assign(new Error(entry.meaning), { code: entry.code }));
      expect(mapped, entry.code).toBeDefined();
      expect([mapped!.status, mapped!.code], entry.code).toEqual([entry.status, entry.error]);
      expect(mapped!.status).toBeLessThan(500 + (entry.code === sqlStates.noPartition ? 100 : 0));
      expect(mapped!.body().error.details).toEqual({ sqlstate: entry.code });
    }
    // The codes the issue found surfacing as 500.
    for (const code of ["EVG01", "EVS02", "EVK01", "EVW02", "EVM01", "EVM02", "EVM03", "EVR01", "EVR09"]) {
      expect(fromDatabaseError(Object.assign(new Error(code), { code }))?.status, code).toBeLessThan(500);
    }
    expect(fromDatabaseError(Object.assign(new Error("x"), { code: "22023" }))?.status).toBe(400);
    expect(fromDatabaseError(Object.assign(new Error("x"), { code: "toString" }))).toBeUndefined();
  });

  it("is the table docs/architecture.md shows: the same codes with the same statuses", () => {
    const doc = readFileSync(path.join(root, "docs/architecture.md"), "utf8");
    const section = doc.slice(doc.indexOf("## SQLSTATEs"), doc.indexOf("\n## ", doc.indexOf("## SQLSTATEs") + 5));
    const rows = [...section.matchAll(/^\| `(EV[A-Z0-9]{3})` \| [^|]+ \| (\d{3}) `([a-z_]+)` \|$/gm)].map((m) => [m[1], Number(m[2]), m[3]]);
    expect(rows.sort()).toEqual(registered.map((e) => [e.code, e.status, e.error]).sort());
  });

  it("is used instead of string literals: no EV code is spelled out in TypeScript outside the registry", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (entry.name.endsWith(".ts") && !full.endsWith(path.join("_shared", "errors.ts"))) {
          for (const match of readFileSync(full, "utf8").matchAll(/["'`]EV[A-Z][0-9]{2}["'`]/g)) offenders.push(`${path.relative(root, full)}: ${match[0]}`);
        }
      }
    };
    walk(path.join(root, "supabase/functions"));
    walk(path.join(root, "src"));
    expect(offenders).toEqual([]);
  });
});

describe("against the database", () => {
  const sql = adminSql({ max: 1 });
  afterAll(() => sql.end());

  it("a raised code reaches the driver as raised and maps as registered", async () => {
    for (const entry of registered) {
      const error = await sql.unsafe(`do $$ begin raise exception using errcode = '${entry.code}', message = 'registry probe'; end $$`)
        .then(() => undefined, (e: unknown) => e);
      expect((error as { code?: string }).code).toBe(entry.code);
      const name = Object.entries(sqlStateRegistry).find(([, e]) => e.code === entry.code)![0] as keyof typeof sqlStateRegistry;
      expect(hasSqlState(error, name)).toBe(true);
      expect(fromDatabaseError(error)?.status).toBe(entry.status);
    }
  });
});
