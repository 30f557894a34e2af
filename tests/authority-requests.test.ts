// Authority data requests end to end: a request is recorded, the trail is verified, 50 events
// among 100,000 over three months (two sealed, one open) are exported with inclusion proofs into
// signed roots, and the package verifies offline with nothing but the public key. Every kind of
// tampering with the package is caught with its reason, and a tampered trail is never certified.
import { createPublicKey } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CertifiedExport } from "../supabase/functions/_shared/certified-export/format.ts";
import { verifyCertifiedExport } from "../supabase/functions/_shared/certified-export/verify.ts";
import { ExportSigner } from "../supabase/functions/_shared/export-key.ts";
import { appendAs, callFunction, createMember, createOrganization, keyring, sampleEvent, serviceToken, userToken, verifyTrail } from "./support/api.ts";
import { newExportKey, scratchArchive } from "./support/archive.ts";
import { backfillMonth } from "./support/backfill.ts";
import { evident } from "./support/cli.ts";
import { adminSql, testStack } from "./support/stack.ts";

const sql = adminSql();
const scratch = scratchArchive("authority");
// The public key as the runbook hands it over: the file `evident seal` publishes to the archive.
let publicKeyFile: string;
afterAll(async () => {
  await sql.end();
  scratch.remove();
});

const call = (token: string, init: Parameters<typeof callFunction>[1]) => callFunction("authority-requests", { token, ...init });
const respond = (token: string, id: string) => call(token, { method: "POST", path: `/${id}/respond` });
const cli = (args: string[]) => evident(args, {
  DB_URL: testStack.dbUrl,
  AUDIT_SIGNING_KEYS: testStack.signingKeys,
  AUDIT_EXPORT_SIGNING_KEY: testStack.exportSigningKey,
  EVIDENT_ARCHIVE_DIR: scratch.dir,
});

const targets = Array.from({ length: 10 }, (_, i) => `case-${i}`);
let org: string;
let legal: string;
let admin: string;
let auditor: string;
let publicKey: string;

function requestBody(overrides: Record<string, unknown> = {}) {
  return {
    organization_id: org,
    authority: "Coimisiún na Meán",
    legal_basis: "DSA Art. 40(1)",
    reference: "CNM-2026-0042",
    scope: { start: "2026-09-01T00:00:00Z", end: new Date(Date.now() + 86_400_000).toISOString(), event_types: ["decision_made"], target_ids: targets },
    response_deadline: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    ...overrides,
  };
}

beforeAll(async () => {
  const ring = keyring();
  org = await createOrganization(sql, "authority requests");
  legal = await userToken(await createMember(sql, org, "legal"));
  admin = await userToken(await createMember(sql, org, "admin"));
  auditor = await userToken(await createMember(sql, org, "auditor"));
  const signer = ExportSigner.parse(testStack.exportSigningKey);
  publicKey = signer.publicKeyPem();
  publicKeyFile = path.join(scratch.dir, "keys", `${signer.keyId}.pem`);

  // 50,000 entries in each of two finished months; 20 of each month's are in the request's scope.
  for (const month of ["2026-09", "2026-10"]) {
    const events = Array.from({ length: 50_000 }, (_, i) => i % 2500 === 7
      ? sampleEvent({ target_id: targets[(i / 2500) % 10 | 0], timestamp: `${month}-15T12:00:00.000000Z` })
      : sampleEvent({ event_type: i % 3 ? "report_submitted" : "decision_made", action: "report", metadata: i % 3 ? { report_type: "illegal_content", is_trusted_flagger: false } : { action: "no_action" } }));
    await backfillMonth(sql, org, month, events, ring);
    const sealed = cli(["seal", "--month", month]);
    expect(sealed.code, sealed.stderr + sealed.stdout).toBe(0);
  }
  // And 10 in the month still open, through the API.
  const appended = await appendAs(admin, org, targets.map((target_id) => sampleEvent({ target_id })));
  expect(appended.status).toBe(201);
}, 300_000);

async function answeredRequest(): Promise<{ id: string; pkg: CertifiedExport }> {
  const created = await call(legal, { body: requestBody() });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const answer = await respond(legal, created.body.request.id);
  expect(answer.status, JSON.stringify(answer.body).slice(0, 2000)).toBe(200);
  return { id: created.body.request.id, pkg: answer.body };
}

describe("answering an authority's request", () => {
  let answered: { id: string; pkg: CertifiedExport };
  beforeAll(async () => {
    answered = await answeredRequest();
  }, 300_000);

  it("exports exactly the events in scope, each proven into a signed root, and certifies all of them", async () => {
    const { pkg } = answered;
    expect(pkg.events).toHaveLength(50);
    expect(pkg.events.every((e) => e.entry.event_type === "decision_made" && targets.includes(e.entry.target_id))).toBe(true);
    expect(pkg.anchors.map((a) => a.kind)).toEqual(["sealed_month", "sealed_month", "checkpoint"]);
    expect(pkg.certification).toMatchObject({ total_events: 50, signatures_verified: 50, integrity_verified: true });
    // From the first exported event to the head before the export's own access record.
    expect(pkg.certification.entries_verified).toBe(pkg.certification.latest_checkpoint!.seq - pkg.events[0].entry.seq);
    expect(pkg.certification.entries_verified).toBeGreaterThan(99_990);
    expect(pkg.certification.partition_checksums.map((p) => p.partition_name)).toEqual(["audit_events_2026_09", "audit_events_2026_10"]);
    const [{ n }] = await sql`
      select count(*)::int as n from public.audit_events
      where organization_id = ${org} and event_type = 'decision_made' and target_id = any(${targets}) and "timestamp" >= '2026-09-01'`;
    expect(n).toBe(50);
    expect(verifyCertifiedExport(pkg, [publicKey])).toMatchObject({ valid: true, problems: [], events: 50 });
  });

  it("verifies offline with `evident verify-export` and the public key alone", async () => {
    // The key the archive holds is the one the functions serve.
    const served = await (await fetch(new URL("/functions/v1/audit-keys", testStack.apiUrl))).json();
    expect(served.keys[0].public_key_pem).toBe(readFileSync(publicKeyFile, "utf8"));
    const file = path.join(scratch.dir, "export.json");
    writeFileSync(file, JSON.stringify(answered.pkg));
    // No database, no secrets: only PATH.
    const run = evident(["verify-export", file, "--public-key", publicKeyFile]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^VALID {2}certified export for request .*: 50 event\(s\)/);

    const tampered = structuredClone(answered.pkg);
    tampered.events[3].entry.actor_id = "someone-else";
    writeFileSync(file, JSON.stringify(tampered));
    const bad = evident(["verify-export", file, "--public-key", publicKeyFile]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/event 3 \(seq \d+\): its entry_hash does not match its contents/);

    const noKey = evident(["verify-export", file]);
    expect(noKey.code).toBe(2);
  });

  it("records the request, the audited read and the response in the trail, which still verifies", async () => {
    const events = await sql`
      select event_type, action, metadata from public.audit_events
      where organization_id = ${org} and (target_id = ${answered.id} or metadata ->> 'purpose' = ${`authority_request_${answered.id}`})
      order by seq`;
    expect(events.map((e) => `${e.event_type}:${e.action}`)).toEqual(["authority_data_request:received", "audit_access:query", "authority_data_request:responded"]);
    expect(events[1].metadata.query_parameters.returned).toBe(50);
    expect(events[2].metadata).toMatchObject({ request_id: answered.id, events_provided: 50, export_signature: answered.pkg.signature, answered_late: false });
    const [row] = await sql`select status, events_provided, export_signature from evident.authority_requests where id = ${answered.id}`;
    expect(row).toEqual({ status: "responded", events_provided: 50, export_signature: answered.pkg.signature });
    expect((await verifyTrail(sql, org)).valid).toBe(true);
    // The checkpoint the export anchors to is recorded beside the others.
    const anchor = answered.pkg.anchors[2];
    if (anchor.kind !== "checkpoint") throw new Error("expected a checkpoint anchor");
    const [checkpoint] = await sql`select tree from evident.checkpoints where organization_id = ${org} and seq = ${anchor.checkpoint.seq}`;
    expect(checkpoint.tree).toEqual(anchor.checkpoint.tree);
  });

  it("answers a request once", async () => {
    const again = await respond(legal, answered.id);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/was answered at/);
  });

  describe("catches every tampering with the package, with its reason", () => {
    const problemsOf = (edit: (pkg: CertifiedExport) => void) => {
      const copy = structuredClone(answered.pkg);
      edit(copy);
      const result = verifyCertifiedExport(copy, [publicKey]);
      expect(result.valid).toBe(false);
      return result.problems.join("\n");
    };

    it("a changed byte in any event", () => {
      expect(problemsOf((p) => { p.events[10].entry.metadata = { action: "content_disabled" }; })).toMatch(/event 10 .*entry_hash does not match/);
      expect(problemsOf((p) => { p.events[0].entry.timestamp = p.events[0].entry.timestamp.replace(/\d(?=Z$)/, (d) => String((+d + 1) % 10)); }))
        .toMatch(/event 0 .*entry_hash does not match/);
    });

    it("a dropped event, a reordered pair, a swapped proof, an edited root", () => {
      expect(problemsOf((p) => { p.events.splice(20, 1); })).toMatch(/the certification counts 50 events, the package holds 49/);
      expect(problemsOf((p) => { [p.events[4], p.events[5]] = [p.events[5], p.events[4]]; })).toMatch(/event 5 .* is out of order/);
      expect(problemsOf((p) => { [p.events[1].proof, p.events[2].proof] = [p.events[2].proof, p.events[1].proof]; }))
        .toMatch(/event 1 .*its proof claims leaf|event 1 .*inclusion proof leads to/);
      expect(problemsOf((p) => { p.events[1].proof.path[0] = p.events[2].proof.path[0] === p.events[1].proof.path[0] ? "0".repeat(64) : p.events[2].proof.path[0]; }))
        .toMatch(/event 1 .*inclusion proof leads to .* not to the sealed month audit_events_2026_09's root/);
      expect(problemsOf((p) => {
        const a = p.anchors[0];
        if (a.kind === "sealed_month") a.statement.root = "f".repeat(64);
      })).toMatch(/anchor 0 \(sealed month audit_events_2026_09\): the signature does not verify[\s\S]*inclusion proof leads to/);
      expect(problemsOf((p) => {
        const a = p.anchors[2];
        if (a.kind === "checkpoint") a.checkpoint.tree.size += 1;
      })).toMatch(/anchor 2 \(checkpoint at seq \d+\): the signature does not verify/);
    });

    it("another public key, or none of the right one", () => {
      const other = createPublicKey(ExportSigner.parse(newExportKey()).publicKeyPem()).export({ type: "spki", format: "pem" }).toString();
      const result = verifyCertifiedExport(answered.pkg, [other]);
      expect(result.valid).toBe(false);
      expect(result.problems[0]).toMatch(/the package is signed by key ed25519-[0-9a-f]{16}, and no public key given has that id/);
    });

    it("any change to any signed field of any event (property)", () => {
      const fields = ["actor_id", "actor_type", "target_id", "target_type", "action", "event_type", "id"] as const;
      fc.assert(fc.property(
        fc.integer({ min: 0, max: 49 }), fc.constantFrom(...fields), fc.string({ minLength: 1, maxLength: 8 }),
        (index, field, suffix) => {
          const copy = structuredClone(answered.pkg);
          copy.events[index].entry[field] += suffix;
          const result = verifyCertifiedExport(copy, [publicKey]);
          expect(result.valid).toBe(false);
          expect(result.problems.join("\n")).toMatch(new RegExp(`event ${index} `));
        },
      ), { numRuns: 300 });
    });
  });
});

describe("refusing to certify", () => {
  it("a tampered trail: nothing is disclosed and the refusal names the failing entry", async () => {
    const created = await call(legal, { body: requestBody() });
    expect(created.status).toBe(201);
    const [victim] = await sql`
      select seq, created_at, metadata from public.audit_events
      where organization_id = ${org} and created_at >= '2026-10-01' and created_at < '2026-11-01' order by seq limit 1 offset 100`;
    const tamper = (metadata: unknown) => sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update public.audit_events set metadata = ${tx.json(metadata as never)} where organization_id = ${org} and seq = ${victim.seq} and created_at = ${victim.created_at}`;
    });
    await tamper({ ...victim.metadata, rewritten: true });
    try {
      const answer = await respond(legal, created.body.request.id);
      expect(answer.status).toBe(409);
      expect(answer.body.error.code).toBe("trail_not_verified");
      expect(answer.body.error.details.problems.join("\n")).toMatch(new RegExp(`first at seq ${victim.seq} \\(hash`));
      const [row] = await sql`select status from evident.authority_requests where id = ${created.body.request.id}`;
      expect(row.status).toBe("received");
      const [refusal] = await sql`
        select metadata from public.audit_events
        where organization_id = ${org} and target_id = ${created.body.request.id} and action = 'certification_refused'`;
      expect(refusal.metadata.problems.length).toBeGreaterThan(0);
      const [access] = await sql`select count(*)::int as n from public.audit_events where metadata ->> 'purpose' = ${`authority_request_${created.body.request.id}`}`;
      expect(access.n).toBe(0);
    } finally {
      await tamper(victim.metadata);
    }
  });

  it("a finished month that is not sealed yet", async () => {
    const other = await createOrganization(sql, "unsealed month");
    const otherLegal = await userToken(await createMember(sql, other, "legal"));
    await backfillMonth(sql, other, "2026-02", [sampleEvent(), sampleEvent()], keyring());
    const created = await call(otherLegal, { body: requestBody({ organization_id: other, scope: { start: "2026-02-01T00:00:00Z", end: "2026-03-01T00:00:00Z" } }) });
    expect(created.status).toBe(201);
    const answer = await respond(otherLegal, created.body.request.id);
    expect(answer.status).toBe(409);
    expect(answer.body.error.details.problems).toContain("month 2026-02 has ended and is not sealed: run `evident seal --month 2026-02` before certifying");
  });
});

describe("after an export key rotation", () => {
  it("certifies a month sealed with the retired key, which the authority checks with both public keys", async () => {
    const rotated = await createOrganization(sql, "sealed before rotation");
    const rotatedLegal = await userToken(await createMember(sql, rotated, "legal"));
    await backfillMonth(sql, rotated, "2022-06", Array.from({ length: 5 }, () => sampleEvent({ timestamp: "2022-06-10T00:00:00.000000Z" })), keyring());
    const retired = ExportSigner.parse(testStack.retiredExportSigningKey);
    const sealed = evident(["seal", "--month", "2022-06"], {
      DB_URL: testStack.dbUrl, AUDIT_SIGNING_KEYS: testStack.signingKeys, AUDIT_EXPORT_SIGNING_KEY: testStack.retiredExportSigningKey,
      EVIDENT_ARCHIVE_DIR: path.join(scratch.dir, "rotated"),
    });
    expect(sealed.code, sealed.stderr + sealed.stdout).toBe(0);

    const created = await call(rotatedLegal, { body: requestBody({ organization_id: rotated, scope: { start: "2022-06-01T00:00:00Z", end: "2022-07-01T00:00:00Z" } }) });
    const answer = await respond(rotatedLegal, created.body.request.id);
    expect(answer.status, JSON.stringify(answer.body).slice(0, 1000)).toBe(200);
    const pkg = answer.body as CertifiedExport;
    expect(pkg.events).toHaveLength(5);
    const anchor = pkg.anchors[0];
    expect(anchor.kind === "sealed_month" && anchor.statement.signing_key_id).toBe(retired.keyId);
    expect(pkg.signing_key_id).not.toBe(retired.keyId);

    const onlyCurrent = verifyCertifiedExport(pkg, [publicKey]);
    expect(onlyCurrent.valid).toBe(false);
    expect(onlyCurrent.problems.join("\n")).toMatch(new RegExp(`anchor 0 \\(sealed month audit_events_2022_06\\) is signed by key ${retired.keyId}, and no public key given has that id`));
    expect(verifyCertifiedExport(pkg, [publicKey, retired.publicKeyPem()])).toMatchObject({ valid: true, problems: [] });

    // The retired public key, in the form the functions' environment takes it.
    const pem = path.join(scratch.dir, "retired.pem");
    writeFileSync(pem, retired.publicKeyPem());
    const der = evident(["keys", "public-der", pem]);
    expect(der.stdout.trim()).toBe(testStack.retiredPublicKeysForFunctions);
  });
});

describe("who may ask, and what", () => {
  it("only admins and the legal role; others get 403, unknown ids 403 to users and 404 to the service role", async () => {
    for (const token of [auditor, await userToken(await createMember(sql, org, "moderator"))]) {
      expect((await call(token, { body: requestBody() })).status).toBe(403);
      expect((await call(token, { query: { organization_id: org } })).status).toBe(403);
    }
    const created = await call(admin, { body: requestBody() });
    expect(created.status).toBe(201);
    expect((await respond(auditor, created.body.request.id)).status).toBe(403);
    const unknown = crypto.randomUUID();
    expect((await respond(legal, unknown)).status).toBe(403);
    expect((await respond(serviceToken(), unknown)).status).toBe(404);
    expect((await call(legal, { method: "POST", path: "/not-a-uuid/respond" })).status).toBe(400);
    expect((await call(legal, { method: "POST", path: `/${unknown}/download` })).status).toBe(404);
    expect((await call(legal, { method: "DELETE" })).status).toBe(405);
  });

  it("refuses bad requests with the reason, recording nothing", async () => {
    const [{ before }] = await sql`select count(*)::int as before from evident.authority_requests where organization_id = ${org}`;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [requestBody({ authority: "" }), /authority/],
      [requestBody({ scope: { start: "2026-10-01T00:00:00Z", end: "2026-09-01T00:00:00Z" } }), /scope\.end: start must be before end/],
      [requestBody({ scope: { start: "yesterday", end: "2026-09-01T00:00:00Z" } }), /scope\.start/],
      [requestBody({ response_deadline: undefined }), /response_deadline/],
      [requestBody({ scope: { start: "2026-09-01T00:00:00Z", end: "2026-10-01T00:00:00Z", event_types: [] } }), /scope\.event_types/],
      [{ ...requestBody(), extra: 1 }, /extra/],
    ];
    for (const [body, reason] of cases) {
      const answer = await call(legal, { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(answer.body.error)).toMatch(reason);
    }
    const [{ after }] = await sql`select count(*)::int as after from evident.authority_requests where organization_id = ${org}`;
    expect(after).toBe(before);
  });

  it("lists requests and flags those past their deadline", async () => {
    const late = await call(legal, { body: requestBody({ response_deadline: "2026-01-01T00:00:00Z", reference: "LATE-1" }) });
    expect(late.status).toBe(201);
    const list = await call(legal, { query: { organization_id: org, status: "received" } });
    expect(list.status).toBe(200);
    const row = list.body.requests.find((r: { id: string }) => r.id === late.body.request.id);
    expect(row).toMatchObject({ reference: "LATE-1", overdue: true, status: "received" });
    expect(list.body.requests.every((r: { status: string }) => r.status === "received")).toBe(true);
  });
});
