// A verification worker thread (see parallel.ts): verifies the chunks it is handed, one at a time,
// over its own connection, each anchored on the stored entry just before the chunk (of several
// with that seq, the last in the walk's order).
import { parentPort, workerData } from "node:worker_threads";
import postgres from "postgres";
import type { ChainSummary } from "../../../supabase/functions/_shared/chain.ts";
import { Keyring } from "../../../supabase/functions/_shared/keyring.ts";
import { type ChainAnchor, verifyEntries } from "../../../supabase/functions/_shared/verify.ts";

export interface WorkerSetup {
  dbUrl: string;
  signingKeys: string;
  organizationId: string;
  from?: string;
  to?: string;
  pageSize?: number;
}

/** Verify the entries with seq in (after, through]; chunk 0 carries its anchor (the walk's start). */
export interface ChunkTask {
  index: number;
  after: number;
  through?: number;
  anchor?: ChainAnchor;
}

export interface ChunkDone {
  type: "done";
  index: number;
  /** The anchor the chunk was checked against; the coordinator accepts it only if it is where the chunk before ended. */
  anchor: ChainAnchor;
  summary: ChainSummary;
}

export type WorkerMessage = ChunkDone | { type: "progress"; checked: number } | { type: "error"; message: string };

if (parentPort) {
  const port = parentPort;
  const setup = workerData as WorkerSetup;
  const keyring = Keyring.forVerification(setup.signingKeys);
  const sql = postgres(setup.dbUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  const send = (message: WorkerMessage) => port.postMessage(message);

  port.on("message", async (task: ChunkTask | { stop: true }) => {
    if ("stop" in task) {
      await sql.end();
      port.close();
      return;
    }
    try {
      let anchor = task.anchor;
      if (!anchor) {
        const [row] = await sql`
          select entry_hash from public.audit_events
          where organization_id = ${setup.organizationId}::uuid and seq = ${task.after}
          order by created_at desc limit 1`;
        anchor = { seq: task.after, hash: row?.entry_hash ?? null };
      }
      let reported = 0;
      const summary = await verifyEntries(sql, setup.organizationId, keyring, anchor, {
        from: setup.from,
        to: setup.to,
        pageSize: setup.pageSize,
        through: task.through,
        onProgress: (_, checked) => {
          send({ type: "progress", checked: checked - reported });
          reported = checked;
        },
      });
      send({ type: "done", index: task.index, anchor, summary });
    } catch (error) {
      send({ type: "error", message: (error as Error).message });
    }
  });
}
