// POST /functions/v1/authority-requests                    record an authority's data request
// GET  /functions/v1/authority-requests?organization_id=…  the organisation's requests, overdue ones flagged
// POST /functions/v1/authority-requests/<id>/respond       verify, then answer with a certified export
// For organisation admins and the legal role (and the service role). docs/certified-export.md
import { authenticate, jwtVerifierFromEnv } from "../_shared/auth.ts";
import { database } from "../_shared/db.ts";
import { ExportSigner } from "../_shared/export-key.ts";
import { handle, requireMethod, resourceAction } from "../_shared/http.ts";
import { Keyring } from "../_shared/keyring.ts";
import { createHandler, listHandler, respondHandler } from "./handlers.ts";

const keyring = Keyring.fromEnv();
const signer = ExportSigner.fromEnv();
const verify = jwtVerifierFromEnv();

Deno.serve(handle(async (request) => {
  const caller = await authenticate(request, verify);
  const context = { sql: database(), keyring, signer, caller };
  const respondTo = resourceAction(request, "authority-requests", ["respond"]);
  if (respondTo !== undefined) {
    requireMethod(request, "POST");
    return await respondHandler(respondTo.id, context);
  }
  requireMethod(request, "POST", "GET");
  return request.method === "POST" ? await createHandler(request, context) : await listHandler(request, context);
}));
