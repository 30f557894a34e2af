// How functions verify callers: with SUPABASE_JWKS (asymmetric keys, what hosted Supabase gives
// every function) and with EVIDENT_JWT_SECRET (HS256: legacy projects and the local stack). The
// local stack exercises only the second over HTTP, so the first is tested here directly.
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { authenticate, jwtVerifierFromEnv, rememberVerified } from "../supabase/functions/_shared/auth.ts";
import { ApiError } from "../supabase/functions/_shared/errors.ts";
import { localApiKeys } from "../scripts/stack/jwt.ts";

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

// Issue 18 (4): a token without `exp` was accepted for ever. Supabase's own tokens, its anon and
// service-role keys included, always carry `exp`; `nbf`, when a token has it, is honoured.
describe("token lifetime", () => {
  const secret = "a-local-secret-that-is-at-least-32-bytes-long";
  const now = () => Math.floor(Date.now() / 1000);
  const hs256 = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" });
  const key = new TextEncoder().encode(secret);

  it("refuses an HS256 token without exp, or not yet valid (nbf), and accepts one with a future exp", async () => {
    process.env.EVIDENT_JWT_SECRET = secret;
    delete process.env.SUPABASE_JWKS;
    const verify = jwtVerifierFromEnv();
    const user = crypto.randomUUID();
    expect(await statusOf(authenticate(request(await hs256({ role: "service_role" }).sign(key)), verify))).toBe(401);
    expect(await statusOf(authenticate(request(await hs256({ role: "authenticated", sub: user }).setIssuedAt().sign(key)), verify))).toBe(401);
    expect(await statusOf(authenticate(request(await hs256({ role: "service_role" }).setExpirationTime("1h").setNotBefore(now() + 600).sign(key)), verify))).toBe(401);
    expect(await statusOf(authenticate(request(await hs256({ role: "service_role" }).setExpirationTime("1h").setNotBefore(now() - 60).sign(key)), verify))).toBe("ok");
    expect(await statusOf(authenticate(request(await hs256({ role: "authenticated", sub: user }).setExpirationTime("1h").sign(key)), verify))).toBe("ok");
    await expect(authenticate(request(await hs256({ role: "service_role" }).sign(key)), verify)).rejects.toThrow(/"exp" claim/);
  });

  it("refuses a JWKS-signed token without exp, or not yet valid (nbf)", async () => {
    const current = await es256Key("current");
    process.env.SUPABASE_JWKS = JSON.stringify({ keys: [current.jwk] });
    delete process.env.EVIDENT_JWT_SECRET;
    const verify = jwtVerifierFromEnv();
    const es256 = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "current" });
    expect(await statusOf(authenticate(request(await es256({ role: "service_role" }).sign(current.privateKey)), verify))).toBe(401);
    expect(await statusOf(authenticate(request(await es256({ role: "service_role" }).setExpirationTime("1h").setNotBefore(now() + 600).sign(current.privateKey)), verify))).toBe(401);
    expect(await statusOf(authenticate(request(await es256({ role: "service_role" }).setExpirationTime("1h").sign(current.privateKey)), verify))).toBe("ok");
  });

  it("the local stack's anon and service-role keys carry exp, as Supabase's do, and still verify", async () => {
    const keys = await localApiKeys(secret);
    process.env.EVIDENT_JWT_SECRET = secret;
    delete process.env.SUPABASE_JWKS;
    const verify = jwtVerifierFromEnv();
    for (const token of [keys.anonKey, keys.serviceRoleKey]) {
      const claims = decodeJwt(token);
      expect(claims.exp).toBeGreaterThan(now() + 365 * 86400);
      expect(claims.iss).toBe("supabase-demo");
    }
    expect(await authenticate(request(keys.serviceRoleKey), verify)).toEqual({ kind: "service", actorId: "service_role" });
  });
});

describe("remembering verified tokens until their exp", () => {
  const secret = "a-local-secret-of-at-least-32-characters!!";
  const key = new TextEncoder().encode(secret);
  const seconds = () => Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>, exp: number) =>
    new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setExpirationTime(exp).sign(key);
  const tamper = (token: string) => {
    const [header, payload, signature] = token.split(".");
    return [header, payload, `${signature[0] === "A" ? "B" : "A"}${signature.slice(1)}`].join(".");
  };
  const withSecret = () => {
    process.env.EVIDENT_JWT_SECRET = secret;
    delete process.env.SUPABASE_JWKS;
    return jwtVerifierFromEnv();
  };

  it("still refuses a remembered token once it has expired, and an altered copy of it at once", async () => {
    const verify = withSecret();
    const token = await sign({ role: "service_role" }, seconds() + 2);
    expect(await statusOf(authenticate(request(token), verify))).toBe("ok");
    expect(await statusOf(authenticate(request(token), verify))).toBe("ok"); // from memory
    expect(await statusOf(authenticate(request(tamper(token)), verify))).toBe(401);
    const claims = decodeJwt(token);
    const forged = [token.split(".")[0], Buffer.from(JSON.stringify({ ...claims, role: "authenticated", sub: crypto.randomUUID() })).toString("base64url"), token.split(".")[2]].join(".");
    expect(await statusOf(authenticate(request(forged), verify))).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, (claims.exp! * 1000) - Date.now() + 50));
    expect(await statusOf(authenticate(request(token), verify))).toBe(401);
  });

  it("verifies each token in full once, never serves one past its exp, remembers only what passed, and stays bounded", async () => {
    let clock = 1_000_000_000_000;
    const calls: string[] = [];
    const verify = rememberVerified(async (token) => {
      calls.push(token);
      if (token.startsWith("bad")) throw new Error("signature verification failed");
      return { role: "service_role", exp: Number(token.split(":")[1]) };
    }, 2, () => clock);
    const exp = clock / 1000 + 60;
    await verify(`a:${exp}`);
    await verify(`a:${exp}`);
    expect(calls).toEqual([`a:${exp}`]);
    await expect(verify("bad")).rejects.toThrow();
    await expect(verify("bad")).rejects.toThrow();
    expect(calls.filter((token) => token === "bad")).toHaveLength(2);
    // The third token remembered pushes out the oldest.
    await verify(`b:${exp}`);
    await verify(`c:${exp}`);
    await verify(`a:${exp}`);
    expect(calls.filter((token) => token === `a:${exp}`)).toHaveLength(2);
    // At exp the remembered answer is no longer used: the token is verified again (and jose refuses it).
    clock = exp * 1000;
    await verify(`c:${exp}`);
    expect(calls.filter((token) => token === `c:${exp}`)).toHaveLength(2);
    // The payload handed out cannot be changed by one caller for the next.
    expect(Object.isFrozen(await verify(`c:${exp + 60}`))).toBe(true);
  });
});
