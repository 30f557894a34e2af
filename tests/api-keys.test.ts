// The project's API keys (sb_publishable_…, sb_secret_…) as the functions read and match them
// (supabase/functions/_shared/api-keys.ts), and how identify()/authenticate() combine them with
// JWTs, here with asymmetric signing keys (SUPABASE_JWKS, what hosted projects use), which the
// local stack does not exercise over HTTP. tests/clients.supabase-js.test.ts covers HTTP.
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { ApiKeys, isApiKey } from "../supabase/functions/_shared/api-keys.ts";
import { authenticate, identify, jwtVerifierFromEnv } from "../supabase/functions/_shared/auth.ts";
import { ConfigurationError } from "../supabase/functions/_shared/env.ts";
import { ApiError } from "../supabase/functions/_shared/errors.ts";
import { localApiKeys } from "../scripts/stack/jwt.ts";
import { statusVariables } from "../scripts/stack/stack.ts";
import { formatEnv, parseEnv } from "../scripts/stack/status-format.ts";
import { testStack } from "./support/stack.ts";

const publishable = "sb_publishable_Xq2v0a9Lh3kPzW8bN1cT6d";
const secret = "sb_secret_M4nRt7yQw2eLp9aZx5cV1b";
const keys = ApiKeys.parse({ publishable: JSON.stringify({ default: publishable }), secret: JSON.stringify({ default: secret, ci: `${secret}2` }) });

const names = ["SUPABASE_JWKS", "EVIDENT_JWT_SECRET", "SUPABASE_PUBLISHABLE_KEYS", "SUPABASE_SECRET_KEYS", "SUPABASE_PUBLISHABLE_KEY", "SUPABASE_SECRET_KEY"];
const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
afterEach(() => {
  for (const n of names) {
    if (saved[n] === undefined) delete process.env[n];
    else process.env[n] = saved[n];
  }
});

async function statusOf(promise: Promise<unknown>): Promise<number | unknown> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof ApiError) return error.status;
    throw error;
  }
}

describe("ApiKeys", () => {
  it("matches each of the project's keys to its kind, and nothing else", () => {
    expect(keys.size).toBe(3);
    expect(keys.match(publishable)).toBe("publishable");
    expect(keys.match(secret)).toBe("secret");
    expect(keys.match(`${secret}2`)).toBe("secret");
    expect(keys.match(`${secret}3`)).toBeUndefined();
    expect(keys.match(publishable.slice(0, -1))).toBeUndefined();
    expect(keys.match("")).toBeUndefined();
    expect(ApiKeys.none.match(secret)).toBeUndefined();
    expect(isApiKey(secret) && isApiKey(publishable) && !isApiKey("eyJhbGciOiJIUzI1NiJ9.e30.x")).toBe(true);
  });

  it("reads the single-key variables where the dictionaries are not set", () => {
    const single = ApiKeys.parse({ publishableSingle: publishable, secretSingle: secret });
    expect([single.match(publishable), single.match(secret)]).toEqual(["publishable", "secret"]);
  });

  it("refuses malformed variables at start-up, naming the variable and never the value", () => {
    const cases: Array<[Parameters<typeof ApiKeys.parse>[0], RegExp]> = [
      [{ secret: "not json" }, /SUPABASE_SECRET_KEYS is not a JSON object/],
      [{ secret: JSON.stringify(["sb_secret_abcdefghijklmnopqrstu"]) }, /SUPABASE_SECRET_KEYS is not a JSON object/],
      [{ secret: JSON.stringify({ default: publishable }) }, /SUPABASE_SECRET_KEYS holds a value that is not a sb_secret_… key/],
      [{ publishable: JSON.stringify({ default: "sb_publishable_short" }) }, /SUPABASE_PUBLISHABLE_KEYS holds a value/],
      [{ secretSingle: "eyJhbGciOiJIUzI1NiJ9.service.role" }, /SUPABASE_SECRET_KEY holds a value/],
    ];
    for (const [variables, message] of cases) {
      let error: unknown;
      try {
        ApiKeys.parse(variables);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(publishable);
      expect((error as Error).message).not.toContain("service.role");
    }
    process.env.EVIDENT_JWT_SECRET = "x".repeat(40);
    process.env.SUPABASE_SECRET_KEYS = "{";
    expect(() => jwtVerifierFromEnv()).toThrow(/SUPABASE_SECRET_KEYS/);
  });
});

describe("identify and authenticate with SUPABASE_JWKS and the API keys", () => {
  it("user JWTs signed with an asymmetric key decide; the API key counts only without one", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
    process.env.SUPABASE_JWKS = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" }] });
    delete process.env.EVIDENT_JWT_SECRET;
    const verify = jwtVerifierFromEnv();
    const user = crypto.randomUUID();
    const userJwt = await new SignJWT({ role: "authenticated", sub: user }).setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setExpirationTime("1h").sign(privateKey);
    const request = (headers: Record<string, string>) => new Request("http://local/functions/v1/audit-events", { headers });

    // A signed-in supabase-js client: the user's JWT, and the publishable key as apikey.
    expect(await identify(request({ authorization: `Bearer ${userJwt}`, apikey: publishable }), verify, keys))
      .toEqual({ kind: "user", actorId: user, userId: user });
    // The secret key beside a user's JWT does not make the user the service role.
    expect(await identify(request({ authorization: `Bearer ${userJwt}`, apikey: secret }), verify, keys)).toMatchObject({ kind: "user" });
    // supabase-js without a session: the key in both headers.
    expect(await identify(request({ authorization: `Bearer ${secret}`, apikey: secret }), verify, keys)).toEqual({ kind: "service", actorId: "service_role" });
    expect(await identify(request({ apikey: publishable }), verify, keys)).toEqual({ kind: "anon", actorId: "anon" });
    expect(await statusOf(authenticate(request({ apikey: publishable }), verify, keys))).toBe(403);
    expect(await authenticate(request({ apikey: secret }), verify, keys)).toEqual({ kind: "service", actorId: "service_role" });

    expect(await statusOf(identify(request({ apikey: "sb_secret_someoneelsesprojectkey00" }), verify, keys))).toBe(401);
    expect(await statusOf(identify(request({ authorization: `Bearer ${userJwt}`, apikey: "sb_publishable_notoursnotoursnotours" }), verify, keys))).toBe(401);
    expect(await statusOf(identify(request({ authorization: `Bearer ${secret}` }), verify, keys))).toBe(401);
    expect(await statusOf(identify(request({ authorization: `Bearer ${secret}`, apikey: publishable }), verify, keys))).toBe(401);
    // Without configured API keys only JWTs are accepted.
    expect(await statusOf(identify(request({ apikey: secret }), verify, ApiKeys.none))).toBe(401);
    expect(await statusOf(identify(request({}), verify, keys))).toBe(401);
  });
});

describe("the local stack's pair", () => {
  it("is derived from the stack's JWT secret, is what the functions accept, and npm run status prints it by Supabase's names", async () => {
    const local = await localApiKeys(testStack.jwtSecret);
    expect(local.publishableKey).toMatch(/^sb_publishable_[A-Za-z0-9_-]{32}$/);
    expect(local.secretKey).toMatch(/^sb_secret_[A-Za-z0-9_-]{32}$/);
    // The keys the test stack's functions were started with (and that every HTTP test uses).
    expect([local.publishableKey, local.secretKey]).toEqual([testStack.publishableKey, testStack.secretKey]);
    const printed = formatEnv(statusVariables({ apiUrl: testStack.apiUrl, dbUrl: testStack.dbUrl, jwtSecret: testStack.jwtSecret, ...local }));
    expect(printed).toContain(`PUBLISHABLE_KEY="${local.publishableKey}"\n`);
    expect(printed).toContain(`SECRET_KEY="${local.secretKey}"\n`);
    expect(Object.keys(parseEnv(printed))).toEqual(["API_URL", "FUNCTIONS_URL", "DB_URL", "ANON_KEY", "SERVICE_ROLE_KEY", "PUBLISHABLE_KEY", "SECRET_KEY", "JWT_SECRET"]);
  });
});
