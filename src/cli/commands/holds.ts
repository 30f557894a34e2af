// evident holds list --org <uuid> [--active] [--json]
// evident holds apply --org <uuid> (--subject <id> | --target <id> | --from <timestamp> --to <timestamp>) --reason <text> [--json]
// evident holds release <hold id> --reason <text> [--json]
// Legal holds for operators (docs/legal-holds.md); the legal-holds function does the same for
// members. Applying and releasing append legal_hold events signed with AUDIT_SIGNING_KEYS.
// Exit 0: done; 1: refused (unknown hold, already released); 2: could not run.
import { asWriter } from "../../../supabase/functions/_shared/db.ts";
import { ApiError } from "../../../supabase/functions/_shared/errors.ts";
import { applyLegalHold, describeHolds, type Hold, holdColumns, lockHold, releaseLegalHold } from "../../../supabase/functions/_shared/holds.ts";
import { Keyring } from "../../../supabase/functions/_shared/keyring.ts";
import { applyHold } from "../../../supabase/functions/_shared/schemas/legal-holds.ts";
import { describeIssues, uuid } from "../../../supabase/functions/_shared/schemas/values.ts";
import { cliDatabase } from "../database.ts";

const operator = () => ({ actorId: process.env.USER || "operator", actorType: "operator" });

export interface HoldsOptions {
  org?: string;
  subject?: string;
  target?: string;
  from?: string;
  to?: string;
  reason?: string;
  active?: boolean;
  json: boolean;
}

export async function holds(action: "list" | "apply" | "release", values: HoldsOptions, positionals: string[] = []): Promise<number> {
  const print = (value: unknown, text: string) => console.log(values.json ? JSON.stringify(value, null, 2) : text);
  const sql = cliDatabase();
  try {
    if (action === "list") {
      const org = uuid.safeParse(values.org ?? "");
      if (!org.success) throw new Error("--org <organization uuid> is required");
      const rows = await sql<Hold[]>`
        select ${holdColumns(sql)} from evident.legal_holds
        where organization_id = ${org.data}::uuid ${values.active ? sql`and released_at is null` : sql``}
        order by applied_at desc, id`;
      print({ holds: rows }, rows.length === 0 ? "no legal holds" : rows.map((h) =>
        `${h.released_at ? "released" : "ACTIVE  "} ${describeHolds([h])}${h.released_at ? `; released ${h.released_at} by ${h.released_by}: ${h.release_reason}` : ""}`).join("\n"));
      return 0;
    }
    if (action === "apply") {
      const scope = values.subject !== undefined ? "subject" : values.target !== undefined ? "target" : "time_range";
      const parsed = applyHold.safeParse({
        organization_id: values.org,
        scope,
        ...(scope === "subject" ? { subject_id: values.subject } : scope === "target" ? { target_id: values.target } : { range: { start: values.from, end: values.to } }),
        reason: values.reason,
      });
      if (!parsed.success) {
        throw new Error(describeIssues(parsed.error).map((i) => `${i.path}: ${i.message}`).join("; ") +
          " (give --org, one of --subject, --target or --from with --to, and --reason)");
      }
      const keyring = Keyring.fromEnv();
      const result = await asWriter(sql, (tx) => applyLegalHold(tx, operator(), parsed.data, keyring));
      print(result, `applied ${describeHolds([result.hold])}`);
      return 0;
    }
    if (action === "release") {
      const id = uuid.safeParse(positionals[0] ?? "");
      if (!id.success) throw new Error("give the hold's id: evident holds release <hold id> --reason <text>");
      if (!values.reason || values.reason.length < 3) throw new Error("--reason <text> (at least 3 characters) is required");
      const keyring = Keyring.fromEnv();
      try {
        const result = await asWriter(sql, async (tx) => {
          const existing = await lockHold(tx, id.data.toLowerCase());
          if (!existing) throw new ApiError(404, "not_found", `no legal hold ${id.data}`);
          return await releaseLegalHold(tx, operator(), existing, values.reason!, keyring);
        });
        print(result, `released ${describeHolds([result.hold])}`);
        return 0;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        console.error(`evident holds release: ${error.message}`);
        return 1;
      }
    }
    throw new Error("usage: evident holds list|apply|release (see docs/legal-holds.md)");
  } finally {
    await sql.end();
  }
}
