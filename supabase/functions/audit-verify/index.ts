// GET /functions/v1/audit-verify?log_id=<uuid>                                   one entry
// GET /functions/v1/audit-verify?organization_id=<uuid>[&start=…][&end=…]        a range (created_at)
// For organisation admins and auditors (and the service role). Every run is recorded as an
// audit_verification event, in the same transaction as the checks.
import { authenticate, jwtVerifierFromEnv } from "../_shared/auth.ts";
import { database } from "../_shared/db.ts";
import { handle, requireMethod } from "../_shared/http.ts";
import { Keyring } from "../_shared/keyring.ts";
import { verifyHandler } from "./handlers.ts";

const keyring = Keyring.fromEnv();
const verify = jwtVerifierFromEnv();

Deno.serve(handle(async (request) => {
  requireMethod(request, "GET");
  const caller = await authenticate(request, verify);
  return await verifyHandler(request, { sql: database(), keyring, caller });
}));
