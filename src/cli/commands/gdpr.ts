// evident gdpr erase --subject <id> --org <uuid> [--reference <text>] [--json]
// evident gdpr erase --subject <id> [--json]              (every organisation holding the subject's data)
// evident gdpr anonymise [--org <uuid>] [--json]          the 30-day job, for external schedulers
// evident gdpr consent --subject <id> --org <uuid> [--json]
// GDPR operations on the personal data kept outside the signed core (docs/gdpr.md); the gdpr
// function does the same for members. Erasure and anonymisation append gdpr_erasure /
// gdpr_anonymisation events signed with AUDIT_SIGNING_KEYS; the erasure event names the subject
// only by a keyed reference (AUDIT_PII_COMMITMENT_KEY). A legal hold refuses an erasure.
// Exit 0: done; 1: refused (a legal hold covers it); 2: could not run.
import { asWriter } from "../../../supabase/functions/_shared/db.ts";
import { ApiError } from "../../../supabase/functions/_shared/errors.ts";
import { anonymiseOrganization, consentHistory, eraseSubject, organizationsToAnonymise } from "../../../supabase/functions/_shared/gdpr.ts";
import { Keyring } from "../../../supabase/functions/_shared/keyring.ts";
import { CommitmentKey } from "../../../supabase/functions/_shared/personal.ts";
import { uuid } from "../../../supabase/functions/_shared/schemas/values.ts";
import { cliDatabase } from "../database.ts";

const operator = () => ({ actorId: process.env.USER || "operator", actorType: "operator" });
const usage = "usage: evident gdpr erase --subject <id> [--org <uuid>] [--reference <text>] | anonymise [--org <uuid>] | consent --subject <id> --org <uuid>  [--json]";

export async function gdpr(action: "erase" | "anonymise" | "consent", values: { org?: string; subject?: string; reference?: string; json: boolean }): Promise<number> {
  if (!["erase", "anonymise", "consent"].includes(action ?? "")) throw new Error(usage);
  const org = values.org === undefined ? undefined : uuid.safeParse(values.org);
  if (org && !org.success) throw new Error(`--org ${values.org} is not a UUID`);
  const organizationId = org?.data?.toLowerCase();
  if (action !== "anonymise" && (!values.subject || values.subject.length > 256)) throw new Error(`--subject <id> (1 to 256 characters) is required\n${usage}`);
  const print = (value: unknown, text: string) => console.log(values.json ? JSON.stringify(value, null, 2) : text);
  const sql = cliDatabase();
  try {
    if (action === "consent") {
      if (!organizationId) throw new Error("--org <uuid> is required");
      const history = await consentHistory(sql, organizationId, values.subject!);
      print(history, history.current.length === 0 ? "no consent events for this subject" :
        history.current.map((c) => `${c.status.padEnd(9)} ${c.purpose} (version ${c.consent_version ?? "-"}) since ${c.since}, seq ${c.seq}`).join("\n"));
      return 0;
    }
    const keyring = Keyring.fromEnv();
    if (action === "erase") {
      const key = CommitmentKey.fromEnv();
      const organizations = organizationId ? [organizationId] : (await sql`
        select distinct organization_id from evident.personal_data where subject_id = ${values.subject!} and erased_at is null
        order by organization_id`).map((r) => r.organization_id as string);
      const results = [];
      try {
        for (const id of organizations) {
          results.push(await asWriter(sql, (tx) => eraseSubject(tx, operator(), id, values.subject!, values.reference, keyring, key)));
        }
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        if (values.json) console.log(JSON.stringify({ refused: error.message, erased: results }, null, 2));
        console.error(`evident gdpr erase: ${error.message}`);
        return 1;
      }
      print({ erased: results }, results.length === 0 ? "no personal data of this subject" : results.map((r) =>
        `erased ${r.values_erased} value(s) in ${r.events_affected} event(s) of ${r.organization_id}; gdpr_erasure event seq ${r.erasure_event.seq} (${r.subject_reference})`).join("\n"));
      return 0;
    }
    const organizations = organizationId ? [organizationId] : await organizationsToAnonymise(sql);
    const results = [];
    for (const id of organizations) results.push(await asWriter(sql, (tx) => anonymiseOrganization(tx, operator(), id, keyring)));
    print({ organizations: results }, results.length === 0 ? "nothing to anonymise" : results.map((r) =>
      `${r.organization_id}: anonymised ${r.values_anonymised} value(s) recorded before ${r.cutoff}, ${r.values_held} under a legal hold` +
      (r.event ? `; gdpr_anonymisation event seq ${r.event.seq}` : "")).join("\n"));
    return 0;
  } finally {
    await sql.end();
  }
}
