// POST /functions/v1/audit-maintenance   {"task": "checkpoint" | "seal" | "verify", ...}
// The scheduled upkeep of the trail, for the service role only: what pg_cron calls through pg_net
// (evident.schedule_audit_maintenance) where Supabase runs it, and what the `evident` CLI does from
// an external scheduler otherwise. docs/sealing.md ("Scheduling")
import { authenticate, jwtVerifierFromEnv } from "../_shared/auth.ts";
import { database } from "../_shared/db.ts";
import { ExportSigner } from "../_shared/export-key.ts";
import { handle, requireMethod } from "../_shared/http.ts";
import { Keyring } from "../_shared/keyring.ts";
import { maintenanceHandler } from "./handlers.ts";

const keyring = Keyring.fromEnv();
const signer = ExportSigner.fromEnv();
const verify = jwtVerifierFromEnv();

Deno.serve(handle(async (request) => {
  requireMethod(request, "POST");
  const caller = await authenticate(request, verify);
  return await maintenanceHandler(request, { sql: database(), keyring, signer, caller });
}));
