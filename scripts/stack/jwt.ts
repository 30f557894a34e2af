// The local anon and service-role API keys: HS256 JWTs over the local secret, with the claims
// `supabase start` uses, so the same keys come out on every machine.
import { SignJWT } from "jose";

const farFuture = 1983812996; // Supabase's local keys expire in 2032.

export async function signLocalJwt(secret: string, claims: Record<string, unknown>, expiresAt = farFuture) {
  return await new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("supabase-demo")
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(secret));
}

export async function localApiKeys(secret: string) {
  return {
    anonKey: await signLocalJwt(secret, { role: "anon" }),
    serviceRoleKey: await signLocalJwt(secret, { role: "service_role" }),
  };
}
