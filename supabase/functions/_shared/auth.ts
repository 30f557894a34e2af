// Who is calling. The platform gateway verifies JWTs where verify_jwt is on; we verify again,
// because a function that trusted an unverified token would be one config flag away from open.
//   SUPABASE_JWKS        asymmetric signing keys (provided to every hosted function)
//   EVIDENT_JWT_SECRET   the HS256 secret (legacy-key projects, and the local stack)
// With neither set the function refuses to start.
import { createLocalJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from "jose";
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
  return async (token) => {
    const { alg } = decodeProtectedHeader(token);
    if (alg === "HS256" && secretKey) return (await jwtVerify(token, secretKey, { algorithms: ["HS256"], ...lifetime })).payload;
    if (alg !== "HS256" && alg !== "none" && jwks) return (await jwtVerify(token, jwks, lifetime)).payload;
    throw new Error(`tokens signed with ${alg} are not accepted here`);
  };
}

export async function authenticate(request: Request, verify: Verify): Promise<Caller> {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new ApiError(401, "unauthorized", "an Authorization: Bearer <jwt> header is required");
  let claims: JWTPayload;
  try {
    claims = await verify(match[1]);
  } catch (error) {
    throw new ApiError(401, "unauthorized", `invalid JWT: ${(error as Error).message}`);
  }
  if (claims.role === "service_role") return { kind: "service", actorId: "service_role" };
  if (claims.role === "authenticated" && typeof claims.sub === "string" && /^[0-9a-f-]{36}$/i.test(claims.sub)) {
    return { kind: "user", actorId: claims.sub.toLowerCase(), userId: claims.sub.toLowerCase() };
  }
  throw new ApiError(403, "forbidden", `callers with role ${JSON.stringify(claims.role ?? null)} may not use this endpoint; sign in or use the service role`);
}
