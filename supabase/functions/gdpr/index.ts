// POST /functions/v1/gdpr/erase        Art. 17: erase one data subject's personal data (admins, service role)
// POST /functions/v1/gdpr/anonymise    the 30-day anonymisation of pii_tagged personal data (service role: what pg_cron calls)
// GET  /functions/v1/gdpr/consent      a subject's consent events and current consent per purpose (audited read)
// docs/gdpr.md
import { authenticate, jwtVerifierFromEnv } from "../_shared/auth.ts";
import { database } from "../_shared/db.ts";
import { handle, requireMethod } from "../_shared/http.ts";
import { Keyring } from "../_shared/keyring.ts";
import { commitmentKeyFromEnv } from "../_shared/personal.ts";
import { anonymiseHandler, consentHandler, eraseHandler, route } from "./handlers.ts";

// All three throw at start-up, naming the missing or invalid variable.
const keyring = Keyring.fromEnv();
const key = commitmentKeyFromEnv();
const verify = jwtVerifierFromEnv();

Deno.serve(handle(async (request) => {
  const caller = await authenticate(request, verify);
  const context = { sql: database(), keyring, key, caller };
  switch (route(request)) {
    case "erase":
      requireMethod(request, "POST");
      return await eraseHandler(request, context);
    case "anonymise":
      requireMethod(request, "POST");
      return await anonymiseHandler(request, context);
    case "consent":
      requireMethod(request, "GET");
      return await consentHandler(request, context);
  }
}));
