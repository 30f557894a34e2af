// Issue 18 (4), over HTTP against the running stack: the functions refuse a token without `exp`
// or before its `nbf`, whoever it claims to be, and write nothing for it; the stack's own
// service-role key (which carries exp, as Supabase's does) keeps working.
import { decodeJwt, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendAs, countEvents, createMember, createOrganization, sampleEvent, serviceToken } from "./support/api.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
afterAll(() => sql.end());

let org: string;
let admin: string;
beforeAll(async () => {
  org = await createOrganization(sql, "token lifetime");
  admin = await createMember(sql, org, "admin");
});

const key = () => new TextEncoder().encode(testStack.jwtSecret);
const now = () => Math.floor(Date.now() / 1000);

describe("token lifetime over HTTP", () => {
  const cases: Array<[string, () => Promise<string>]> = [
    ["a service-role token without exp", () => new SignJWT({ role: "service_role", iss: "supabase-demo" }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key())],
    ["a user token without exp", () => new SignJWT({ role: "authenticated", sub: admin, aud: "authenticated" }).setProtectedHeader({ alg: "HS256" }).setIssuedAt().sign(key())],
    ["a service-role token not valid before ten minutes from now", () =>
      new SignJWT({ role: "service_role" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime("1h").setNotBefore(now() + 600).sign(key())],
  ];
  for (const [label, token] of cases) {
    it(`refuses ${label} with 401 and appends nothing`, async () => {
      const before = await countEvents(sql, org);
      const response = await appendAs(await token(), org, [sampleEvent()]);
      expect(response.status, JSON.stringify(response.body)).toBe(401);
      expect(response.body.error.code).toBe("unauthorized");
      expect(await countEvents(sql, org)).toBe(before);
    });
  }

  it("refuses a token it accepted before once the token's exp has passed (verified tokens are remembered only until then)", async () => {
    const exp = now() + 3;
    const token = await new SignJWT({ role: "service_role" }).setProtectedHeader({ alg: "HS256" }).setExpirationTime(exp).sign(key());
    const first = await appendAs(token, org, [sampleEvent()]);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 50));
    const before = await countEvents(sql, org);
    const late = await appendAs(token, org, [sampleEvent()]);
    expect(late.status, JSON.stringify(late.body)).toBe(401);
    expect(await countEvents(sql, org)).toBe(before);
  });

  it("accepts the stack's service-role key (it carries exp) and a user token with exp", async () => {
    for (const key of [testStack.serviceRoleKey, testStack.anonKey]) expect(decodeJwt(key).exp).toBeGreaterThan(now());
    const service = await appendAs(serviceToken(), org, [sampleEvent()]);
    expect(service.status, JSON.stringify(service.body)).toBe(201);
    const user = await appendAs(
      await new SignJWT({ role: "authenticated", sub: admin, aud: "authenticated" }).setProtectedHeader({ alg: "HS256" })
        .setExpirationTime("5m").setNotBefore(now() - 5).sign(key()),
      org, [sampleEvent()]);
    expect(user.status, JSON.stringify(user.body)).toBe(201);
  });
});
