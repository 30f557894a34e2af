// evident keys generate --kind hmac --id <key id>     a new HMAC signing key, as a key_id:secret pair
// evident keys generate --kind ed25519                a new export key (manifests, checkpoints)
// evident keys show [--json]                          key ids in use, their first and last use, age
// evident keys public-der <key.pem>                   a public key as one line of base64 SPKI DER
//                                                    (for AUDIT_EXPORT_RETIRED_PUBLIC_KEYS)
// evident keys record-rotation --from <id> --to <id> [--kind hmac|ed25519] [--org <uuid> …]
//                                                    logs the rotation in every organisation's chain
// Rotation steps: docs/runbooks/key-rotation.md. Keys are printed to stdout only when generated,
// never read back from anywhere.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { appendEvents } from "../../../supabase/functions/_shared/append.ts";
import { asWriter } from "../../../supabase/functions/_shared/db.ts";
import { ExportSigner, publicKeyDerBase64 } from "../../../supabase/functions/_shared/export-key.ts";
import { Keyring, keyIdPattern } from "../../../supabase/functions/_shared/keyring.ts";
import { eventInput } from "../../../supabase/functions/_shared/schemas/events.ts";
import { cliDatabase } from "../database.ts";

/** Keys older than this are flagged: SOC 2 reviewers expect signing keys rotated at least quarterly. */
export const maximumKeyAgeDays = 90;

/** `evident keys public-der <file>`: the public key as one line of base64 SPKI DER. */
export function publicDer(file: string, values: { json: boolean }): number {
  const der = publicKeyDerBase64(readFileSync(file, "utf8"));
  console.log(values.json ? JSON.stringify({ public_key_der: der }, null, 2) : der);
  return 0;
}

/** `evident keys generate`: a new key on stdout (with --json, inside an object naming its id and kind). */
export function generate(values: { kind?: string; id?: string; json: boolean }): number {
  if (values.kind === "hmac") {
    if (!values.id || !keyIdPattern.test(values.id)) throw new Error("--id is required: letters, digits, . _ -; at most 64");
    const pair = `${values.id}:${randomBytes(32).toString("base64url")}`;
    console.log(values.json ? JSON.stringify({ kind: "hmac", key_id: values.id, key: pair }, null, 2) : pair);
    return 0;
  }
  if (values.kind === "ed25519") {
    const key = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "der" }).toString("base64");
    const keyId = ExportSigner.parse(key).keyId;
    if (values.json) console.log(JSON.stringify({ kind: "ed25519", key_id: keyId, key }, null, 2));
    else {
      console.error(`key id ${keyId}`);
      console.log(key);
    }
    return 0;
  }
  throw new Error("--kind hmac or --kind ed25519 is required");
}

export async function show(values: { json: boolean }): Promise<number> {
  const configured = process.env.AUDIT_SIGNING_KEYS ? Keyring.forVerification(process.env.AUDIT_SIGNING_KEYS).keyIds : [];
  const active = process.env.AUDIT_ACTIVE_KEY_ID ?? null;
  const exportKeyId = process.env.AUDIT_EXPORT_SIGNING_KEY ? ExportSigner.fromEnv().keyId : null;
  const sql = cliDatabase();
  try {
    // One pass over the trail per call: fine for an operator's occasional look.
    const used = await sql`
      select key_id, count(*)::bigint as entries,
        evident.canonical_timestamp(min(created_at)) as first_used, evident.canonical_timestamp(max(created_at)) as last_used,
        floor(extract(epoch from now() - min(created_at)) / 86400)::int as age_days
      from public.audit_events group by key_id order by min(created_at)`;
    const rows = [...new Set([...used.map((u) => u.key_id as string), ...configured])].map((keyId) => {
      const u = used.find((x) => x.key_id === keyId);
      return {
        key_id: keyId,
        configured: configured.includes(keyId),
        active: keyId === active,
        entries: u ? Number(u.entries) : 0,
        first_used: u?.first_used ?? null,
        last_used: u?.last_used ?? null,
        age_days: u?.age_days ?? null,
        rotation_due: keyId === active && (u?.age_days ?? 0) > maximumKeyAgeDays,
      };
    });
    const unverifiable = rows.filter((r) => r.entries > 0 && !r.configured);
    if (values.json) console.log(JSON.stringify({ hmac_keys: rows, export_key_id: exportKeyId }, null, 2));
    else {
      for (const r of rows) {
        console.log(`${r.key_id.padEnd(24)} ${r.active ? "active " : "       "}${r.configured ? "" : "NOT CONFIGURED "}` +
          `${r.entries} entries${r.first_used ? `, first ${r.first_used}, last ${r.last_used}, ${r.age_days} days old` : ""}` +
          `${r.rotation_due ? `  ROTATE: older than ${maximumKeyAgeDays} days` : ""}`);
      }
      console.log(`export key (manifests, checkpoints): ${exportKeyId ?? "not configured"}`);
      if (unverifiable.length) console.log(`entries signed with keys not in AUDIT_SIGNING_KEYS cannot be verified: ${unverifiable.map((r) => r.key_id).join(", ")}`);
    }
    return unverifiable.length > 0 || rows.some((r) => r.rotation_due) ? 1 : 0;
  } finally {
    await sql.end();
  }
}

export async function recordRotation(values: { from?: string; to?: string; kind: string; org?: string[]; json: boolean }): Promise<number> {
  if (!values.from || !values.to) throw new Error("--from <old key id> and --to <new key id> are required");
  if (values.kind !== "hmac" && values.kind !== "ed25519") throw new Error("--kind is hmac or ed25519");
  const keyring = Keyring.fromEnv();
  if (values.kind === "hmac" && keyring.activeKeyId !== values.to) {
    throw new Error(`AUDIT_ACTIVE_KEY_ID is ${keyring.activeKeyId}, not ${values.to}: make the new key active first`);
  }
  if (values.kind === "hmac" && !keyring.has(values.from)) {
    throw new Error(`${values.from} is not in AUDIT_SIGNING_KEYS: keep the old key beside the new one, or its entries stop verifying`);
  }
  const sql = cliDatabase();
  try {
    const organizations = values.org?.length
      ? values.org.map((o) => o.toLowerCase())
      : (await sql`select id from public.organizations order by id`).map((r) => r.id as string);
    const failed: string[] = [];
    for (const organization of organizations) {
      const event = eventInput.parse({
        event_type: "key_rotated",
        actor_id: process.env.USER || "operator",
        actor_type: "operator",
        target_id: values.to,
        target_type: values.kind === "hmac" ? "hmac_signing_key" : "ed25519_export_key",
        action: "rotate",
        metadata: { kind: values.kind, previous_key_id: values.from, new_key_id: values.to },
      });
      try {
        await asWriter(sql, (tx) => appendEvents(tx, organization, [event], keyring));
      } catch (error) {
        // A chain that refuses appends (its head disagrees with its trail) is reported, not skipped silently.
        failed.push(`${organization}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (values.json) {
      console.log(JSON.stringify({ from: values.from, to: values.to, kind: values.kind, organizations: organizations.length, recorded: organizations.length - failed.length, not_recorded: failed }, null, 2));
    } else {
      console.log(`recorded the rotation from ${values.from} to ${values.to} in ${organizations.length - failed.length} of ${organizations.length} organisation(s)`);
      for (const f of failed) console.log(`NOT RECORDED ${f}`);
    }
    return failed.length === 0 ? 0 : 1;
  } finally {
    await sql.end();
  }
}
