// How functions verify callers: with SUPABASE_JWKS (asymmetric keys, what hosted Supabase gives
// every function) and with EVIDENT_JWT_SECRET (HS256: legacy projects and the local stack). The
// local stack exercises only the second over HTTP, so the first is tested here directly.
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { authenticate, jwtVerifierFromEnv } from "../supabase/functions/_shared/auth.ts";
import { ApiError } from "../supabase/functions/_shared/errors.ts";

const saved = { jwks: process.env.SUPABASE_JWKS, secret: process.env.EVIDENT_JWT_SECRET };
afterEach(() => {
  for (const [name, value] of [["SUPABASE_JWKS", saved.jwks], ["EVIDENT_JWT_SECRET", saved.secret]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

async function es256Key(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" } };
}

const request = (token?: string) =>
  new Request("http://local/functions/v1/audit-events", token ? { headers: { authorization: `Bearer ${token}` } } : {});

async function statusOf(promise: Promise<unknown>): Promise<number | "ok"> {
  try {
    await promise;
    return "ok";
  } catch (error) {
    if (error instanceof ApiError) return error.status;
    throw error;
  }
}

describe("verifying callers with SUPABASE_JWKS", () => {
  it("accepts users and the service role signed by a key in the set, and nothing else", async () => {
    const current = await es256Key("current");
    const stranger = await es256Key("current"); // same kid, different key
    process.env.SUPABASE_JWKS = JSON.stringify({ keys: [current.jwk] });
    delete process.env.EVIDENT_JWT_SECRET;
    const verify = jwtVerifierFromEnv();
    const sign = (key: typeof current, claims: Record<string, unknown>, exp: string | number = "1h") =>
      new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: key.kid }).setExpirationTime(exp).sign(key.privateKey);

    const user = crypto.randomUUID();
    expect(await authenticate(request(await sign(current, { role: "authenticated", sub: user })), verify))
      .toEqual({ kind: "user", actorId: user, userId: user });
    expect(await authenticate(request(await sign(current, { role: "service_role" })), verify))
      .toEqual({ kind: "service", actorId: "service_role" });

    expect(await statusOf(authenticate(request(await sign(stranger, { role: "service_role" })), verify))).toBe(401);
    expect(await statusOf(authenticate(request(await sign(current, { role: "service_role" }, Math.floor(Date.now() / 1000) - 60)), verify))).toBe(401);
    expect(await statusOf(authenticate(request(new UnsecuredJWT({ role: "service_role" }).encode()), verify))).toBe(401);
    // No HS256 secret configured: an HS256 token cannot be checked, so it is refused.
    const hs = await new SignJWT({ role: "service_role" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h")
      .sign(new TextEncoder().encode("x".repeat(40)));
    expect(await statusOf(authenticate(request(hs), verify))).toBe(401);
    expect(await statusOf(authenticate(request(await sign(current, { role: "anon" })), verify))).toBe(403);
    expect(await statusOf(authenticate(request(), verify))).toBe(401);
  });

  it("accepts the set as a bare array of keys too", async () => {
    const key = await es256Key("k");
    process.env.SUPABASE_JWKS = JSON.stringify([key.jwk]);
    delete process.env.EVIDENT_JWT_SECRET;
    const token = await new SignJWT({ role: "service_role" }).setProtectedHeader({ alg: "ES256", kid: "k" })
      .setExpirationTime("1h").sign(key.privateKey);
    expect(await statusOf(authenticate(request(token), jwtVerifierFromEnv()))).toBe("ok");
  });

  it("refuses to start with a malformed set, or with no way to verify at all", () => {
    process.env.SUPABASE_JWKS = "{not json";
    delete process.env.EVIDENT_JWT_SECRET;
    expect(() => jwtVerifierFromEnv()).toThrow(/SUPABASE_JWKS is not a JSON Web Key Set/);
    delete process.env.SUPABASE_JWKS;
    expect(() => jwtVerifierFromEnv()).toThrow(/neither SUPABASE_JWKS nor EVIDENT_JWT_SECRET/);
  });
});
