// `evident maintain`, run as a subprocess the way an operator or an external scheduler runs it.
import { describe, expect, it } from "vitest";
import { evident } from "./support/cli.ts";
import { testStack } from "./support/stack.ts";

describe("evident maintain", () => {
  it("creates partitions ahead and reports coverage", () => {
    const run = evident(["maintain", "--months", "6", "--json"], { DB_URL: testStack.dbUrl });
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.partitions).toHaveLength(7);
    expect(result.months_ahead).toBeGreaterThanOrEqual(6);
  });

  it("is idempotent", () => {
    const first = evident(["maintain", "--json"], { DB_URL: testStack.dbUrl });
    const second = evident(["maintain", "--json"], { DB_URL: testStack.dbUrl });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).partitions).toEqual(JSON.parse(first.stdout).partitions);
  });

  it("exits 2 and says why when it cannot run", () => {
    const noDatabase = evident(["maintain"]);
    expect(noDatabase.code).toBe(2);
    expect(noDatabase.stderr).toMatch(/set DB_URL/);
    const badMonths = evident(["maintain", "--months", "many"], { DB_URL: testStack.dbUrl });
    expect(badMonths.code).toBe(2);
    expect(badMonths.stderr).toMatch(/--months must be a whole number/);
    const unknown = evident(["sail"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command sail/);
    const unreachable = evident(["maintain"], { DB_URL: "postgresql://postgres:postgres@127.0.0.1:1/postgres" });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toMatch(/ECONNREFUSED|connect/);
  });
});
