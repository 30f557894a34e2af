import { z } from "zod";
import type { Caller } from "../_shared/auth.ts";
import { asWriter, type Sql } from "../_shared/db.ts";
import { ConfigurationError } from "../_shared/env.ts";
import { ApiError } from "../_shared/errors.ts";
import { json, readJsonBody } from "../_shared/http.ts";
import type { Keyring } from "../_shared/keyring.ts";
import { describeIssues, unstorableJson, uuid } from "../_shared/schemas/values.ts";
import { TdbClient, tdbConfigFromEnv } from "../_shared/sor/client.ts";
import { maxStatementsPerBatch } from "../_shared/sor/contract.ts";
import { enqueueStatement } from "../_shared/sor/outbox.ts";
import { submitDue } from "../_shared/sor/submit.ts";

export interface Context {
  sql: Sql;
  keyring: Keyring;
  caller: Caller;
}

const maxBodyBytes = 4 * 1024 * 1024;

const body = z.discriminatedUnion("action", [
  z.strictObject({
    action: z.literal("submit"),
    max_batches: z.number().int().min(1).max(50).optional(),
  }),
  z.strictObject({
    action: z.literal("enqueue"),
    organization_id: uuid,
    statements: z.array(z.record(z.string(), z.unknown()).superRefine((statement, ctx) => {
      // Text PostgreSQL cannot store (NUL, lone surrogates) is refused here, not by the database.
      const problem = unstorableJson(statement, "statement");
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })).min(1).max(maxStatementsPerBatch),
  }),
]);

export async function sorSubmitHandler(request: Request, { sql, keyring, caller }: Context): Promise<Response> {
  if (caller.kind !== "service") throw new ApiError(403, "forbidden", "sor-submit is for the service role only");
  const parsed = body.safeParse(await readJsonBody(request, maxBodyBytes));
  if (!parsed.success) {
    const issues = describeIssues(parsed.error);
    throw new ApiError(400, "invalid_request", `invalid request body: ${issues[0].path}: ${issues[0].message}`, { issues });
  }
  const input = parsed.data;
  if (input.action === "enqueue") {
    const queued = await asWriter(sql, async (tx) => {
      const [org] = await tx`select 1 from public.organizations where id = ${input.organization_id}::uuid`;
      if (!org) throw new ApiError(404, "not_found", `organization ${input.organization_id} does not exist`);
      const out = [];
      for (const [index, statement] of input.statements.entries()) {
        out.push(await enqueueStatement(tx, input.organization_id, statement, undefined, `statements[${index}]`));
      }
      return out;
    });
    return json(201, { organization_id: input.organization_id, queued });
  }
  let client: TdbClient;
  try {
    client = new TdbClient(tdbConfigFromEnv());
  } catch (error) {
    if (error instanceof ConfigurationError) throw new ApiError(503, "unavailable", error.message);
    throw error;
  }
  const report = await submitDue(sql, keyring, client, {
    workerId: `sor-submit:${crypto.randomUUID()}`,
    ...(input.max_batches === undefined ? {} : { maxBatches: input.max_batches }),
  });
  return json(200, report);
}
