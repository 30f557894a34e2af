// The local API keys. The anon and service-role keys are HS256 JWTs over the local secret, with
// the claims `supabase start` uses, so the same keys come out on every machine.
import { createHmac } from "node:crypto";
import { SignJWT } from "jose";

const farFuture = 1983812996; // Supabase's local keys expire in 2032.

export async function signLocalJwt(secret: string, claims: Record<string, unknown>, expiresAt = farFuture) {
  return await new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("supabase-demo")
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(secret));
}

/**
 * The local API keys: the legacy JWT pair (anon, service_role) and the new pair that is not a JWT
 * (sb_publishable_…, sb_secret_…). The new pair is derived from the local secret, so, like the
 * JWTs, it is the same on every start and for local use only.
 */
export async function localApiKeys(secret: string) {
  const derive = (label: string) => createHmac("sha256", secret).update(`evident local ${label} key`).digest("base64url").slice(0, 32);
  return {
    anonKey: await signLocalJwt(secret, { role: "anon" }),
    serviceRoleKey: await signLocalJwt(secret, { role: "service_role" }),
    publishableKey: `sb_publishable_${derive("publishable")}`,
    secretKey: `sb_secret_${derive("secret")}`,
  };
}
