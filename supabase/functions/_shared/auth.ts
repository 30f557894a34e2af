// Who is calling. The platform gateway verifies JWTs where verify_jwt is on; we verify again,
// because a function that trusted an unverified token would be one config flag away from open.
//   SUPABASE_JWKS        asymmetric signing keys (provided to every hosted function)
//   EVIDENT_JWT_SECRET   the HS256 secret (legacy-key projects, and the local stack)
// With neither set the function refuses to start.
// Callers may also send the project's API keys (sb_publishable_…, sb_secret_…) in the apikey
// header: SUPABASE_PUBLISHABLE_KEYS / SUPABASE_SECRET_KEYS, read by api-keys.ts.
import { createLocalJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from "jose";
import { ApiKeys, isApiKey } from "./api-keys.ts";
import { ApiError } from "./errors.ts";
import { ConfigurationError, readEnv } from "./env.ts";

export type Caller =
  | { kind: "service"; actorId: "service_role" }
  | { kind: "user"; actorId: string; userId: string };

type Verify = (token: string) => Promise<JWTPayload>;

// Every token must say when it ends: Supabase's own tokens (user sessions, and the anon and
// service-role keys it issues) always carry `exp`, so one without it was not issued by the
// platform and would otherwise be valid forever. `nbf`, when present, is honoured (jose checks
// both; `requiredClaims` makes `exp` mandatory).
const lifetime = { requiredClaims: ["exp"] };

export function jwtVerifierFromEnv(): Verify {
  const secret = readEnv("EVIDENT_JWT_SECRET");
  const jwksText = readEnv("SUPABASE_JWKS");
  if (!secret && !jwksText) {
    throw new ConfigurationError("neither SUPABASE_JWKS nor EVIDENT_JWT_SECRET is set: cannot verify callers");
  }
  // The project's API keys (api-keys.ts): a malformed variable stops the function here, at start-up.
  ApiKeys.fromEnv();
  const secretKey = secret ? new TextEncoder().encode(secret) : undefined;
  let jwks: ReturnType<typeof createLocalJWKSet> | undefined;
  if (jwksText) {
    try {
      const parsed = JSON.parse(jwksText);
      jwks = createLocalJWKSet(Array.isArray(parsed) ? { keys: parsed } : parsed);
    } catch {
      throw new ConfigurationError("SUPABASE_JWKS is not a JSON Web Key Set");
    }
  }
  return rememberVerified(async (token) => {
    const { alg } = decodeProtectedHeader(token);
    if (alg === "HS256" && secretKey) return (await jwtVerify(token, secretKey, { algorithms: ["HS256"], ...lifetime })).payload;
    if (alg !== "HS256" && alg !== "none" && jwks) return (await jwtVerify(token, jwks, lifetime)).payload;
    throw new Error(`tokens signed with ${alg} are not accepted here`);
  });
}

/** Tokens a verifier remembers at most (a few hundred kilobytes). */
export const verifiedTokenCapacity = 1024;

/**
 * The verifier, remembering each token it accepted until the token's `exp`: a backend sends the
 * same service-role key or user session with every request, and checking its signature again
 * (about 75 µs for HS256) is most of what authenticating costs. Keyed by the whole token, so a token
 * altered in any byte is a different key and is verified in full; only a token that passed full
 * verification is remembered, never past its `exp` (checked on every use, as jose checks it), and
 * at most `capacity` of them, the oldest forgotten first. What is refused is never remembered.
 */
export function rememberVerified(verify: Verify, capacity = verifiedTokenCapacity, now = () => Date.now()): Verify {
  const verified = new Map<string, { payload: JWTPayload; expiresAt: number }>();
  return async (token) => {
    const known = verified.get(token);
    if (known && now() < known.expiresAt) return known.payload;
    verified.delete(token);
    const payload = Object.freeze(await verify(token));
    // jose refuses a token once the current second reaches exp.
    if (typeof payload.exp === "number") {
      if (verified.size >= capacity) verified.delete(verified.keys().next().value!);
      verified.set(token, { payload, expiresAt: payload.exp * 1000 });
    }
    return payload;
  };
}

/** A caller with a valid credential of the project that carries no rights: the anon or publishable key. */
export type AnyCaller = Caller | { kind: "anon"; actorId: "anon" };

const refuseRole = (role: unknown) =>
  new ApiError(403, "forbidden", `callers with role ${JSON.stringify(role ?? null)} may not use this endpoint; sign in or use the service role`);

/** The signed-in user or the service role; anything else is refused (401 without valid credentials, 403 for anon). */
export async function authenticate(request: Request, verify: Verify, apiKeys: ApiKeys = ApiKeys.fromEnv()): Promise<Caller> {
  const caller = await identify(request, verify, apiKeys);
  if (caller.kind === "anon") throw refuseRole("anon");
  return caller;
}

/**
 * Who is calling, as Supabase's gateway and docs describe it: a JWT in `Authorization: Bearer`
 * (a user's session, or the legacy anon / service_role key) decides; without one, the API key in
 * the `apikey` header does: `sb_secret_…` acts as the service role, `sb_publishable_…` as anon.
 * An `apikey` that looks like a new key but is not one of the project's is refused, also beside a
 * JWT. supabase-js repeats the API key as the bearer token when nobody is signed in; a bearer key
 * is accepted only when it is that same key.
 */
export async function identify(request: Request, verify: Verify, apiKeys: ApiKeys = ApiKeys.fromEnv()): Promise<AnyCaller> {
  const apikey = request.headers.get("apikey");
  const keyKind = apikey !== null && isApiKey(apikey) ? apiKeys.match(apikey) : undefined;
  if (apikey !== null && isApiKey(apikey) && keyKind === undefined) {
    throw new ApiError(401, "unauthorized", "the apikey header holds an API key this project does not have");
  }
  const header = request.headers.get("authorization");
  let token: string | undefined;
  if (header !== null) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ApiError(401, "unauthorized", "the Authorization header must be Bearer <jwt>");
    token = match[1];
  }
  if (token !== undefined && isApiKey(token)) {
    if (token !== apikey) {
      throw new ApiError(401, "unauthorized", "an API key goes in the apikey header; Authorization: Bearer takes a JWT");
    }
    token = undefined;
  }
  if (token === undefined) {
    if (keyKind === "secret") return { kind: "service", actorId: "service_role" };
    if (keyKind === "publishable") return { kind: "anon", actorId: "anon" };
    throw new ApiError(401, "unauthorized", "an Authorization: Bearer <jwt> header, or the project's API key in the apikey header, is required");
  }
  let claims: JWTPayload;
  try {
    claims = await verify(token);
  } catch (error) {
    throw new ApiError(401, "unauthorized", `invalid JWT: ${(error as Error).message}`);
  }
  if (claims.role === "service_role") return { kind: "service", actorId: "service_role" };
  if (claims.role === "authenticated" && typeof claims.sub === "string" && /^[0-9a-f-]{36}$/i.test(claims.sub)) {
    return { kind: "user", actorId: claims.sub.toLowerCase(), userId: claims.sub.toLowerCase() };
  }
  if (claims.role === "anon") return { kind: "anon", actorId: "anon" };
  throw refuseRole(claims.role);
}
