// POST /functions/v1/legal-holds                       apply a hold (subject, target or time range)
// POST /functions/v1/legal-holds/<id>/release          release it, with a reason
// GET  /functions/v1/legal-holds?organization_id=…     the organisation's holds [&active=true|false]
// For organisation admins and the legal role (and the service role). Applying and releasing are
// recorded as legal_hold events. docs/legal-holds.md
import { authenticate, jwtVerifierFromEnv } from "../_shared/auth.ts";
import { database } from "../_shared/db.ts";
import { handle, requireMethod, resourceAction } from "../_shared/http.ts";
import { Keyring } from "../_shared/keyring.ts";
import { applyHandler, listHandler, releaseHandler } from "./handlers.ts";

const keyring = Keyring.fromEnv();
const verify = jwtVerifierFromEnv();

Deno.serve(handle(async (request) => {
  const caller = await authenticate(request, verify);
  const context = { sql: database(), keyring, caller };
  const release = resourceAction(request, "legal-holds", ["release"]);
  if (release !== undefined) {
    requireMethod(request, "POST");
    return await releaseHandler(request, release.id, context);
  }
  requireMethod(request, "POST", "GET");
  return request.method === "POST" ? await applyHandler(request, context) : await listHandler(request, context);
}));
