// The local stack answers like Supabase's: functions over HTTP at /functions/v1/<name>. Every
// function has verify_jwt off (supabase/config.toml) and refuses callers without a valid
// credential itself, health included: the refusals below come from the function's own check.
import { describe, expect, it } from "vitest";
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
