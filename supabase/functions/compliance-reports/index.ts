// GET /functions/v1/compliance-reports/report/soc2/{organization_id}?purpose=…[&start=…][&end=…]
// GET /functions/v1/compliance-reports/report/quarterly/{organization_id}?purpose=…[&quarter=YYYY-Qn]
// GET /functions/v1/compliance-reports/report/transparency/{organization_id}?purpose=…&from=YYYY-MM-DD&to=YYYY-MM-DD[&format=csv][&part=N][&final=true]
// GET /functions/v1/compliance-reports/export/csv?organization_id=…&purpose=…[&start=…][&end=…]
// GET /functions/v1/compliance-reports/export/gdpr?organization_id=…&purpose=…[&subject=…]
// For organisation admins and auditors (the transparency report also legal) and the service role. Every request is recorded as an
// audit_access event with its purpose; the quarterly self-assessment also as
// compliance_audit_completed. docs/compliance-reports.md.
import { authenticate, jwtVerifierFromEnv } from "../_shared/auth.ts";
import { database } from "../_shared/db.ts";
import { ExportSigner } from "../_shared/export-key.ts";
import { handle, requireMethod } from "../_shared/http.ts";
import { Keyring } from "../_shared/keyring.ts";
import { reportsHandler } from "./handlers.ts";

const keyring = Keyring.fromEnv();
const signer = ExportSigner.fromEnv();
const verify = jwtVerifierFromEnv();

Deno.serve(handle(async (request) => {
  requireMethod(request, "GET");
  const caller = await authenticate(request, verify);
  return await reportsHandler(request, { sql: database(), keyring, signer, caller });
}));
