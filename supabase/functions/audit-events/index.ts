// POST /functions/v1/audit-events   append 1–1000 signed, chained events for one organisation
// GET  /functions/v1/audit-events   read a page of the trail; requires a purpose and is itself audited
import { AppendGroupCommit } from "../_shared/append-group-commit.ts";
import { authenticate, jwtVerifierFromEnv } from "../_shared/auth.ts";
import { database } from "../_shared/db.ts";
import { handle, requireMethod } from "../_shared/http.ts";
import { Keyring } from "../_shared/keyring.ts";
import { commitmentKeyFromEnv } from "../_shared/personal.ts";
import { appendHandler, readHandler } from "./handlers.ts";

// These throw at start-up, naming the missing or invalid variable: no key, no service.
const keyring = Keyring.fromEnv();
// Events with personal_data are committed with it (canonical form v2).
commitmentKeyFromEnv();
const verify = jwtVerifierFromEnv();
// Concurrent appends share transactions (group commit).
const appends = new AppendGroupCommit(database, keyring);

Deno.serve(handle(async (request) => {
  requireMethod(request, "POST", "GET");
  const caller = await authenticate(request, verify);
  const context = { sql: database(), keyring, caller, appends };
  return request.method === "POST" ? await appendHandler(request, context) : await readHandler(request, context);
}));
