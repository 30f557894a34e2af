// evident <command> [options]. Exit codes: 0 done (or valid), 1 a problem was found, 2 could not run.
import { archive } from "./commands/archive.ts";
import { checkpoint } from "./commands/checkpoint.ts";
import { gdpr } from "./commands/gdpr.ts";
import { holds } from "./commands/holds.ts";
import { keys } from "./commands/keys.ts";
import { maintain } from "./commands/maintain.ts";
import { rehydrate } from "./commands/rehydrate.ts";
import { retention } from "./commands/retention.ts";
import { seal } from "./commands/seal.ts";
import { sor } from "./commands/sor.ts";
import { verify } from "./commands/verify.ts";
import { verifyExport } from "./commands/verify-export.ts";

export const exitCodes = { ok: 0, problem: 1, couldNotRun: 2 } as const;

const commands: Record<string, { summary: string; run: (args: string[]) => Promise<number> }> = {
  maintain: { summary: "create audit_events partitions ahead (the job pg_cron runs daily)", run: maintain },
  verify: { summary: "recompute every hash, signature and link; exit 1 on tampering", run: verify },
  checkpoint: { summary: "sign and publish every chain head that moved (run every few minutes)", run: checkpoint },
  gdpr: { summary: "GDPR: erase --subject <id> (Art. 17), anonymise (the 30-day job), consent (docs/gdpr.md)", run: gdpr },
  holds: { summary: "legal holds: list, apply, release (docs/legal-holds.md)", run: holds },
  keys: { summary: "generate keys, show key ages, record a rotation (docs/runbooks/key-rotation.md)", run: keys },
  seal: { summary: "seal a finished month: verify it, sign its Merkle root, publish the manifest", run: seal },
  rehydrate: { summary: "restore an archived month into its own schema and verify it against its manifest", run: rehydrate },
  retention: { summary: "retention check|drop --month: drop an expired, sealed, archived, unheld month (docs/retention.md)", run: retention },
  archive: { summary: "archive verify: the weekly backup drill over archived months (docs/runbooks/rehydration.md)", run: archive },
  "verify-export": { summary: "check a certified export offline with the export public key; exit 1 if invalid", run: verifyExport },
  sor: { summary: "Statements of Reasons: validate <file>, status, submit, retry --dead-letter, replay <id>", run: sor },
};

function usage(): string {
  return [
    "usage: evident <command> [options]",
    "",
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`),
    "",
    "The database comes from DB_URL (as `npm run status` prints it) or DATABASE_URL;",
    "signing keys from AUDIT_SIGNING_KEYS.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "-h") {
    console.log(usage());
    return name ? exitCodes.ok : exitCodes.couldNotRun;
  }
  const command = commands[name];
  if (!command) {
    console.error(`evident: unknown command ${name}\n\n${usage()}`);
    return exitCodes.couldNotRun;
  }
  try {
    return await command.run(args);
  } catch (error) {
    console.error(`evident ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return exitCodes.couldNotRun;
  }
}
