// The local stack answers like Supabase's: functions over HTTP at /functions/v1/<name>. Every
// function has verify_jwt off (supabase/config.toml) and refuses callers without a valid
// credential itself, health included: the refusals below come from the function's own check.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bin, repoRoot } from "../scripts/stack/config.ts";
import { freePort } from "../scripts/stack/stack.ts";
import { SignJWT, UnsecuredJWT } from "jose";
import { functionUrl, testStack } from "./support/stack.ts";

const sign = (claims: Record<string, unknown>, secret = testStack.jwtSecret, expiresIn: string | number = "1h") =>
  new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));

describe("functions gateway", () => {
  it("serves the health function to a caller with the anon key", async () => {
    const response = await fetch(functionUrl("health"), { headers: { authorization: `Bearer ${testStack.anonKey}` } });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.status).toBe("ok");
    expect(body.partitions.months_ahead).toBeGreaterThanOrEqual(3);
    expect(body.migrations.latest).toMatch(/^\d{14}$/);
  });

  it("answers 404 with a JSON body for a function that does not exist", async () => {
    const response = await fetch(functionUrl("no-such-function"), { headers: { authorization: `Bearer ${testStack.anonKey}` } });
    expect(response.status).toBe(404);
    expect((await response.json()).message).toMatch(/not found/);
  });

  const refusals: Array<[string, () => Promise<Record<string, string>>]> = [
    ["no Authorization header", async () => ({})],
    ["a scheme other than Bearer", async () => ({ authorization: `Basic ${btoa("a:b")}` })],
    ["a token that is not a JWT", async () => ({ authorization: "Bearer not-a-jwt" })],
    ["a token signed with another secret", async () => ({
      authorization: `Bearer ${await sign({ role: "service_role" }, "another-secret-that-is-at-least-32-bytes-long")}`,
    })],
    ["an expired token", async () => ({
      authorization: `Bearer ${await sign({ role: "anon" }, testStack.jwtSecret, Math.floor(Date.now() / 1000) - 60)}`,
    })],
    ["an unsigned token (alg none)", async () => ({
      authorization: `Bearer ${new UnsecuredJWT({ role: "service_role" }).setExpirationTime("1h").encode()}`,
    })],
  ];

  for (const [label, headers] of refusals) {
    it(`refuses ${label} with 401`, async () => {
      const response = await fetch(functionUrl("health"), { headers: await headers() });
      expect(response.status).toBe(401);
      expect((await response.json()).error.message).toMatch(/JWT|authorization/i);
    });
  }

  it("serves health to the publishable and the secret key in the apikey header", async () => {
    for (const apikey of [testStack.publishableKey, testStack.secretKey]) {
      const response = await fetch(functionUrl("health"), { headers: { apikey } });
      expect(response.status).toBe(200);
    }
  });

  it("accepts a freshly signed token with the stack's secret", async () => {
    const response = await fetch(functionUrl("health"), { headers: { authorization: `Bearer ${await sign({ role: "authenticated", sub: crypto.randomUUID() })}` } });
    expect(response.status).toBe(200);
  });
});

// The gateway's own verify_jwt check, on a scratch function where it is on (every Evident function
// has it off): it behaves as Supabase documents the platform check. It hands a preflight OPTIONS to
// the function unchecked (so the function answers CORS itself), and it accepts only JWTs in
// Authorization: the sb_ API keys are refused before the function runs, which is why Evident's
// functions run with verify_jwt off and check callers themselves.
describe("the gateway's verify_jwt check (a scratch function with it on)", () => {
  let gateway: ChildProcess | undefined;
  let base: string;
  let scratch: string;

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "evident-gateway-"));
    mkdirSync(path.join(scratch, "functions", "echo"), { recursive: true });
    writeFileSync(path.join(scratch, "config.toml"), "[functions.echo]\nverify_jwt = true\n");
    writeFileSync(path.join(scratch, "functions", "echo", "index.ts"),
      `Deno.serve((request) => request.method === "OPTIONS"\n  ? new Response(null, { status: 204, headers: { "x-reached": "yes" } })\n  : new Response("reached", { headers: { "x-reached": "yes" } }));\n`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}/functions/v1/echo`;
    const child = spawn(bin("deno"), ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-sys", "scripts/stack/gateway.ts"], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: String(port), JWT_SECRET: testStack.jwtSecret, FUNCTIONS_DIR: `${path.join(scratch, "functions")}/`, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    gateway = child;
    await new Promise<void>((resolve, reject) => {
      let output = "";
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("functions gateway on")) resolve();
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.on("exit", (code) => reject(new Error(`gateway exited ${code}: ${output}`)));
    });
  });
  afterAll(async () => {
    if (gateway && gateway.exitCode === null) {
      const exited = new Promise((resolve) => gateway!.once("exit", resolve));
      gateway.kill("SIGTERM");
      await exited;
    }
    rmSync(scratch, { recursive: true, force: true });
  });

  it("passes a preflight through to the function without a token", async () => {
    const response = await fetch(base, { method: "OPTIONS", headers: { origin: "http://localhost:5173", "access-control-request-method": "POST" } });
    expect(response.status).toBe(204);
    expect(response.headers.get("x-reached")).toBe("yes");
  });

  it("refuses the sb_ API keys, in either header, and lets a valid JWT through", async () => {
    const refused: Array<Record<string, string>> = [
      { apikey: testStack.publishableKey },
      { apikey: testStack.secretKey, authorization: `Bearer ${testStack.secretKey}` },
    ];
    for (const headers of refused) {
      const response = await fetch(base, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get("x-reached")).toBeNull();
    }
    const response = await fetch(base, { headers: { authorization: `Bearer ${testStack.anonKey}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-reached")).toBe("yes");
  });
});
