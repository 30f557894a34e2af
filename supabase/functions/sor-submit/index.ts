// POST /functions/v1/sor-submit: Statements of Reasons to the Commission's Transparency Database.
// Service role only (the backend, or pg_cron through pg_net). docs/sor-submission.md.
//   {"action": "submit"}                                    one submission pass over the outbox
//   {"action": "enqueue", "organization_id", "statements"}  queue statements explicitly
// DSA_TDB_URL and DSA_TDB_TOKEN come from the function's environment only.
import { authenticate, jwtVerifierFromEnv } from "../_shared/auth.ts";
import { database } from "../_shared/db.ts";
import { handle, requireMethod } from "../_shared/http.ts";
import { Keyring } from "../_shared/keyring.ts";
import { sorSubmitHandler } from "./handlers.ts";

const keyring = Keyring.fromEnv();
const verify = jwtVerifierFromEnv();

Deno.serve(handle(async (request) => {
  requireMethod(request, "POST");
  const caller = await authenticate(request, verify);
  return await sorSubmitHandler(request, { sql: database(), keyring, caller });
}));
