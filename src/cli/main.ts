// evident <command> [options]. Exit codes: 0 done (or valid), 1 a problem was found, 2 could not run
// (including bad usage: an unknown command or option, a missing argument).
// Arguments are parsed by commander: every command and subcommand has --help (usage, options,
// examples), `evident --version` prints the version, and every command that reports something takes
// --json. A command's module is loaded only when it runs, so `evident --help` stays fast.
import { Command, CommanderError, Option } from "commander";
import packageJson from "../../package.json" with { type: "json" };

export const exitCodes = { ok: 0, problem: 1, couldNotRun: 2 } as const;

const environment = `
Environment:
  DB_URL (or DATABASE_URL)   the database, as \`npm run status\` prints it
  AUDIT_SIGNING_KEYS         key_id:secret pairs that verify (and, with AUDIT_ACTIVE_KEY_ID, sign) entries
  AUDIT_EXPORT_SIGNING_KEY   the Ed25519 key of manifests, checkpoints and certified exports
  EVIDENT_ARCHIVE_DIR        the archive folder (default .evident/archive)
  EVIDENT_PROGRESS           bar | lines | off (default: a bar on a terminal, plain lines otherwise)

Exit codes: 0 done or valid, 1 a problem was found, 2 could not run (or bad usage).
Docs: README.md, docs/sealing.md, docs/retention.md, docs/gdpr.md, docs/legal-holds.md, docs/sor-submission.md`;

type Values = Record<string, unknown>;

/** commander's camelCase option names as the commands spell them (--public-key → "public-key"). */
function kebab(options: Values): Values {
  return Object.fromEntries(Object.entries(options).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), value]));
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];
const json = () => new Option("--json", "print the result as JSON on stdout");
const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;

/** Thrown to stop parsing with an exit code, after the message was printed. */
class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export function buildProgram(run: (task: () => Promise<number>, name: string) => Promise<void>): Command {
  const program = new Command("evident")
    .description("Evident: the tamper-evident compliance audit trail's operator command")
    .version(packageJson.version, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help for a command")
    .addHelpCommand("help [command]", "show help for a command")
    .showSuggestionAfterError(true)
    .showHelpAfterError("(add --help for usage and examples)")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`evident: ${text.replace(/^error: /, "")}`) })
    .addHelpText("after", environment);
  program.on("command:*", (operands: string[]) => {
    console.error(`evident: unknown command ${operands[0]}\n`);
    console.error(program.helpInformation());
    throw new Exit(exitCodes.couldNotRun);
  });

  /** A command whose action loads its module and runs it; values are the options with their CLI spelling. */
  const action = (name: string, task: (values: Values, args: string[]) => Promise<number>) =>
    async (...received: unknown[]) => {
      const command = received[received.length - 1] as Command;
      await run(() => task(kebab(command.opts()), command.args), name);
    };

  program.command("maintain")
    .description("create audit_events partitions ahead (the job pg_cron runs daily)")
    .option("--months <n>", "months ahead of the current one (0 to 120)", "3")
    .addOption(json())
    .addHelpText("after", examples("evident maintain", "evident maintain --months 6 --json"))
    .action(action("maintain", async (v) => (await import("./commands/maintain.ts")).maintain(v as never)));

  program.command("verify")
    .description("recompute every hash, signature and link; exit 1 on tampering")
    .option("--org <uuid>", "only this organisation")
    .option("--from <timestamp>", "only entries created at or after (ISO 8601 with offset)")
    .option("--to <timestamp>", "only entries created before (ISO 8601 with offset); skips the head check")
    .option("--month <YYYY-MM>", "re-verify a sealed month against its manifest instead")
    .option("--archive <dir>", "also check the archive's latest signed checkpoints")
    .option("--public-key <file.pem>", "the export public key (default: derived from AUDIT_EXPORT_SIGNING_KEY)")
    .option("--jobs <n>", "worker threads (default: one per core, at most 8)")
    .addOption(json())
    .addHelpText("after", examples(
      "evident verify",
      "evident verify --org $ORG --json",
      "evident verify --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z --jobs 4",
      "evident verify --month 2026-10 --public-key .evident/archive/keys/<key id>.pem",
    ))
    .action(action("verify", async (v) => (await import("./commands/verify.ts")).verify(v as never)));

  program.command("checkpoint")
    .description("sign and publish every chain head that moved (run every few minutes)")
    .option("--org <uuid>", "only this organisation")
    .addOption(json())
    .addHelpText("after", examples("evident checkpoint", "evident checkpoint --org $ORG --json"))
    .action(action("checkpoint", async (v) => (await import("./commands/checkpoint.ts")).checkpoint(v as never)));

  program.command("seal")
    .description("seal a finished month: verify it, sign its Merkle root, publish the manifest and archive it")
    .requiredOption("--month <YYYY-MM>", "the month to seal")
    .option("--full", "also recompute every entry's hash from its contents")
    .addOption(json())
    .addHelpText("after", examples("evident seal --month 2026-10", "evident seal --month 2026-10 --full --json"))
    .action(action("seal", async (v) => (await import("./commands/seal.ts")).seal(v as never)));

  program.command("rehydrate")
    .description("restore an archived month into its own schema and verify it against its manifest")
    .requiredOption("--month <YYYY-MM>", "the archived month")
    .option("--archive <dir>", "the archive folder (default EVIDENT_ARCHIVE_DIR or .evident/archive)")
    .option("--public-key <file.pem>", "the manifest's public key (default: the archive's keys/)")
    .option("--replace", "drop and restore the month's schema if it exists")
    .addOption(json())
    .addHelpText("after", examples("evident rehydrate --month 2026-10", "evident rehydrate --month 2026-10 --replace --json"))
    .action(action("rehydrate", async (v) => (await import("./commands/rehydrate.ts")).rehydrate(v as never)));

  const retention = program.command("retention")
    .description("retention check|drop --month: drop an expired, sealed, archived, unheld month (docs/retention.md)")
    .addHelpText("after", examples("evident retention check --month 2019-01", "evident retention drop --month 2019-01 --json"));
  for (const [verb, summary] of [["check", "report whether every retention condition is met (drops nothing)"], ["drop", "drop the month if every condition is met; record the drop or the refusal"]] as const) {
    retention.command(verb)
      .description(summary)
      .requiredOption("--month <YYYY-MM>", "the month")
      .option("--archive <dir>", "the archive folder (default EVIDENT_ARCHIVE_DIR or .evident/archive)")
      .option("--public-key <file.pem>", "the manifest's public key (default: the archive's keys/)")
      .addOption(json())
      .addHelpText("after", examples(`evident retention ${verb} --month 2019-01`, `evident retention ${verb} --month 2019-01 --json`))
      .action(action(`retention ${verb}`, async (v) => (await import("./commands/retention.ts")).retention(verb, v as never)));
  }

  const archive = program.command("archive")
    .description("archive verify: the weekly backup drill over archived months (docs/runbooks/rehydration.md)")
    .addHelpText("after", examples("evident archive verify --all --record"));
  archive.command("verify")
    .description("check archived months: manifest signature, file checksum, and a full pass over every entry")
    .option("--month <YYYY-MM>", "a month to check (repeatable)", collect)
    .option("--all", "every month the database sealed and every month the archive holds")
    .option("--archive <dir>", "the archive folder (default EVIDENT_ARCHIVE_DIR or .evident/archive)")
    .option("--public-key <file.pem>", "the manifests' public key (default: the archive's keys/)")
    .option("--record", "append a backup_verified event to each covered organisation's trail")
    .addOption(json())
    .addHelpText("after", examples("evident archive verify --month 2026-09 --month 2026-10", "evident archive verify --all --record --json"))
    .action(action("archive verify", async (v) => (await import("./commands/archive.ts")).verifyArchive(v as never)));

  program.command("verify-export")
    .description("check a certified export offline with the export public key; exit 1 if invalid")
    .argument("<export.json>", "the certified export")
    .requiredOption("--public-key <key.pem>", "an export public key (repeatable: after a rotation, the old one too)", collect)
    .addOption(json())
    .addHelpText("after", examples("evident verify-export export.json --public-key export-key.pem", "evident verify-export export.json --public-key new.pem --public-key old.pem --json"))
    .action(action("verify-export", async (v, args) => (await import("./commands/verify-export.ts")).verifyExport(v as never, args)));

  program.command("transparency-report")
    .description("the DSA harmonised transparency report (Implementing Regulation 2024/2835) of one organisation, signed")
    .requiredOption("--org <uuid>", "the organisation")
    .requiredOption("--from <YYYY-MM-DD>", "first day of the period (UTC, the events' own timestamp)")
    .requiredOption("--to <YYYY-MM-DD>", "last day of the period, inclusive")
    .addOption(new Option("--format <format>", "json (the signed report) or csv (the template's parts)").choices(["json", "csv"]).default("json"))
    .option("--out <file|dir/>", "write there instead of stdout; for csv, a directory gets every part and report.json")
    .option("--part <n>", "csv: only this part of the template (1 to 11)")
    .option("--final", "refuse (exit 1) unless every counted event lies in a sealed month and the period has ended")
    .option("--service <name>", "the service the report is for (the template's Service column)")
    .option("--provider <name>", "the provider's name (part 1)")
    .addOption(new Option("--json", "with --out: print what was written (status, totals, months) as JSON on stdout"))
    .addHelpText("after", examples(
      "evident transparency-report --org $ORG --from 2026-01-01 --to 2026-06-30 --out report.json",
      "evident transparency-report --org $ORG --from 2026-01-01 --to 2026-12-31 --final --format csv --out report-2026/",
    ))
    .action(action("transparency-report", async (v) => (await import("./commands/transparency-report.ts")).transparencyReport(v as never)));

  program.command("verify-report")
    .description("check a DSA transparency report offline with the export public key; exit 1 if invalid")
    .argument("<report.json>", "the signed report")
    .requiredOption("--public-key <key.pem>", "an export public key (repeatable)", collect)
    .option("--csv <file>", "a CSV part published from the report, to check against it (repeatable)", collect)
    .addOption(json())
    .addHelpText("after", examples("evident verify-report report.json --public-key export-key.pem", "evident verify-report report-2026/report.json --public-key export-key.pem --csv report-2026/*Part_4_notices.csv"))
    .action(action("verify-report", async (v, args) => (await import("./commands/verify-report.ts")).verifyReport(v as never, args)));

  const keys = program.command("keys")
    .description("generate keys, show key ages, record a rotation (docs/runbooks/key-rotation.md)")
    .addHelpText("after", examples("evident keys generate --kind hmac --id prod-2027-01", "evident keys show --json"));
  keys.command("generate")
    .description("print a new key on stdout: an HMAC key_id:secret pair, or an Ed25519 export key")
    .addOption(new Option("--kind <kind>", "the kind of key").choices(["hmac", "ed25519"]).makeOptionMandatory())
    .option("--id <key id>", "the HMAC key's id (letters, digits, . _ -; at most 64)")
    .addOption(json())
    .addHelpText("after", examples("evident keys generate --kind hmac --id prod-2027-01", "evident keys generate --kind ed25519 --json"))
    .action(action("keys generate", async (v) => (await import("./commands/keys.ts")).generate(v as never)));
  keys.command("show")
    .description("key ids in use, their first and last use and age; exit 1 if a rotation is due or a key is missing")
    .addOption(json())
    .addHelpText("after", examples("evident keys show", "evident keys show --json"))
    .action(action("keys show", async (v) => (await import("./commands/keys.ts")).show(v as never)));
  keys.command("public-der")
    .description("a public key as one line of base64 SPKI DER (for AUDIT_EXPORT_RETIRED_PUBLIC_KEYS)")
    .argument("<key.pem>", "the public key")
    .addOption(json())
    .addHelpText("after", examples("evident keys public-der .evident/archive/keys/<key id>.pem"))
    .action(action("keys public-der", async (v, args) => (await import("./commands/keys.ts")).publicDer(args[0], v as never)));
  keys.command("record-rotation")
    .description("log a key rotation in every organisation's chain (key_rotated events)")
    .requiredOption("--from <key id>", "the key rotated out")
    .requiredOption("--to <key id>", "the key rotated in")
    .addOption(new Option("--kind <kind>", "which key").choices(["hmac", "ed25519"]).default("hmac"))
    .option("--org <uuid>", "only this organisation (repeatable)", collect)
    .addOption(json())
    .addHelpText("after", examples("evident keys record-rotation --from prod-2026-10 --to prod-2027-01"))
    .action(action("keys record-rotation", async (v) => (await import("./commands/keys.ts")).recordRotation(v as never)));

  const holds = program.command("holds")
    .description("legal holds: list, apply, release (docs/legal-holds.md)")
    .addHelpText("after", examples("evident holds list --org $ORG --active"));
  holds.command("list")
    .description("an organisation's legal holds")
    .requiredOption("--org <uuid>", "the organisation")
    .option("--active", "only holds not released")
    .addOption(json())
    .addHelpText("after", examples("evident holds list --org $ORG", "evident holds list --org $ORG --active --json"))
    .action(action("holds list", async (v) => (await import("./commands/holds.ts")).holds("list", v as never)));
  holds.command("apply")
    .description("apply a hold on a subject, a target or a time range")
    .requiredOption("--org <uuid>", "the organisation")
    .option("--subject <id>", "hold this data subject's events")
    .option("--target <id>", "hold this target's events")
    .option("--from <timestamp>", "hold events from (with --to)")
    .option("--to <timestamp>", "hold events until (with --from)")
    .requiredOption("--reason <text>", "why (recorded in the legal_hold event)")
    .addOption(json())
    .addHelpText("after", examples(
      "evident holds apply --org $ORG --subject user-42 --reason \"litigation: Doe v. Platform\"",
      "evident holds apply --org $ORG --from 2026-03-01T00:00:00Z --to 2026-04-01T00:00:00Z --reason \"regulator inquiry\"",
    ))
    .action(action("holds apply", async (v) => (await import("./commands/holds.ts")).holds("apply", v as never)));
  holds.command("release")
    .description("release a hold")
    .argument("<hold-id>", "the hold's id")
    .requiredOption("--reason <text>", "why (at least 3 characters)")
    .addOption(json())
    .addHelpText("after", examples("evident holds release $HOLD_ID --reason \"case settled\""))
    .action(action("holds release", async (v, args) => (await import("./commands/holds.ts")).holds("release", v as never, args)));

  const gdpr = program.command("gdpr")
    .description("GDPR: erase --subject <id> (Art. 17), anonymise (the 30-day job), consent (docs/gdpr.md)")
    .addHelpText("after", examples("evident gdpr erase --subject user-42 --org $ORG", "evident gdpr anonymise"));
  gdpr.command("erase")
    .description("erase one data subject's personal data (every organisation holding it, or --org)")
    .requiredOption("--subject <id>", "the data subject (1 to 256 characters)")
    .option("--org <uuid>", "only this organisation")
    .option("--reference <text>", "the request's reference (recorded in the gdpr_erasure event)")
    .addOption(json())
    .addHelpText("after", examples("evident gdpr erase --subject user-42 --org $ORG --reference DSR-2026-118"))
    .action(action("gdpr erase", async (v) => (await import("./commands/gdpr.ts")).gdpr("erase", v as never)));
  gdpr.command("anonymise")
    .description("anonymise pii_tagged personal data older than 30 days that no hold covers")
    .option("--org <uuid>", "only this organisation")
    .addOption(json())
    .addHelpText("after", examples("evident gdpr anonymise", "evident gdpr anonymise --org $ORG --json"))
    .action(action("gdpr anonymise", async (v) => (await import("./commands/gdpr.ts")).gdpr("anonymise", v as never)));
  gdpr.command("consent")
    .description("a subject's consent events and current consent per purpose")
    .requiredOption("--subject <id>", "the data subject")
    .requiredOption("--org <uuid>", "the organisation")
    .addOption(json())
    .addHelpText("after", examples("evident gdpr consent --subject user-42 --org $ORG --json"))
    .action(action("gdpr consent", async (v) => (await import("./commands/gdpr.ts")).gdpr("consent", v as never)));

  const sor = program.command("sor")
    .description("Statements of Reasons: validate <file>, status, submit, retry --dead-letter, replay <id>")
    .addHelpText("after", examples("evident sor status", "evident sor submit --max-batches 5"));
  sor.command("validate")
    .description("check statements against the Commission's rules, offline (prints JSON)")
    .argument("<file.json>", "one statement, a list, or {\"statements\": [...]}")
    .addOption(json())
    .addHelpText("after", examples("evident sor validate statements.json"))
    .action(action("sor validate", async (_v, args) => (await import("./commands/sor.ts")).validate(args[0])));
  sor.command("status")
    .description("the outbox: counts per state, due now, expired leases, dead letters; exit 1 with dead letters")
    .addOption(json())
    .addHelpText("after", examples("evident sor status", "evident sor status --json"))
    .action(action("sor status", async (v) => (await import("./commands/sor.ts")).status(v as never)));
  sor.command("submit")
    .description("one submission pass, as pg_cron or the sor-submit function runs it (prints a JSON report)")
    .option("--max-batches <n>", "stop after this many batches")
    .option("--batch-size <n>", "statements per request")
    .option("--lease-seconds <n>", "how long claimed statements are leased")
    .addOption(json())
    .addHelpText("after", examples("evident sor submit", "evident sor submit --max-batches 5 --batch-size 100"))
    .action(action("sor submit", async (v) => (await import("./commands/sor.ts")).submit(v as never)));
  sor.command("retry")
    .description("put every dead letter back in the queue, then submit")
    .option("--dead-letter", "retry the dead letters")
    .option("--no-submit", "only requeue; do not submit")
    .addOption(json())
    .addHelpText("after", examples("evident sor retry --dead-letter", "evident sor retry --dead-letter --no-submit"))
    .action(action("sor retry", async (v) => (await import("./commands/sor.ts")).retry(v as never)));
  sor.command("replay")
    .description("put one statement back in the queue and submit it alone")
    .argument("<outbox-id>", "the statement's outbox id (a UUID)")
    .addOption(json())
    .addHelpText("after", examples("evident sor replay $OUTBOX_ID"))
    .action(action("sor replay", async (v, args) => (await import("./commands/sor.ts")).replay(args[0], v as never)));

  const accessLog = program.command("access-log")
    .description("access-log sign: sign the Data API reads recorded in evident.access_log into the chain")
    .addHelpText("after", examples("evident access-log sign", "evident access-log sign --org $ORG --json"));
  accessLog.command("sign")
    .description("sign every pending Data API read into its organisation's chain as an audit_access event (run it beside checkpoint)")
    .option("--org <uuid>", "only this organisation")
    .addOption(json())
    .addHelpText("after", examples("evident access-log sign", "evident access-log sign --org $ORG --json"))
    .action(action("access-log sign", async (v) => (await import("./commands/access-log.ts")).accessLogSign(v as never)));

  program.command("completion")
    .description("print a bash completion script (add `source <(evident completion)` to ~/.bashrc)")
    .addHelpText("after", examples("evident completion > /etc/bash_completion.d/evident", "source <(evident completion)"))
    .action(() => {
      console.log(bashCompletion(program));
      throw new Exit(exitCodes.ok);
    });

  return program;
}

/** A bash completion script generated from the command tree: commands, subcommands and options. */
export function bashCompletion(program: Command): string {
  const words = (command: Command) => [
    ...command.commands.map((c) => c.name()),
    ...command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))),
    "--help",
  ].join(" ");
  const cases: string[] = [];
  for (const command of program.commands) {
    cases.push(`    "${command.name()}") opts="${words(command)}" ;;`);
    for (const sub of command.commands) cases.push(`    "${command.name()} ${sub.name()}") opts="${words(sub)}" ;;`);
  }
  return `# bash completion for evident (generated by \`evident completion\`)
_evident() {
  local cur path="" word i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    case "$path" in "" ) path="$word" ;; *" "* ) ;; * ) path="$path $word" ;; esac
  done
  local opts
  case "$path" in
    "") opts="${words(program)}" ;;
${cases.join("\n")}
    *) opts="" ;;
  esac
  COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
}
complete -o default -F _evident evident`;
}

export async function main(argv: string[]): Promise<number> {
  let code: number = exitCodes.ok;
  const program = buildProgram(async (task, name) => {
    try {
      code = await task();
    } catch (error) {
      console.error(`evident ${name}: ${error instanceof Error ? error.message : String(error)}`);
      code = exitCodes.couldNotRun;
    }
  }, );
  if (argv.length === 0) {
    // No command: the overview, as an error (nothing was done).
    console.error(program.helpInformation());
    return exitCodes.couldNotRun;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof Exit) return error.code;
    if (error instanceof CommanderError) {
      // --help and --version end here too, successfully; anything else is bad usage.
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help" && error.exitCode === 0
        ? exitCodes.ok
        : exitCodes.couldNotRun;
    }
    throw error;
  }
}
