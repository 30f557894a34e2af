// A verification worker thread, of one of two kinds:
// - a chunk worker (parallel.ts): verifies the chunks it is handed, one at a time, over its own
//   connection, each anchored on the stored entry just before the chunk (of several with that seq,
//   the last in the walk's order);
// - an entry checker (entry-checker.ts): recomputes the hash and signature of the entries it is
//   handed (checkEntry), and answers with one verdict per entry, in their order.
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import postgres from "postgres";
import type { ChainSummary } from "../../../supabase/functions/_shared/chain.ts";
import { checkEntry } from "../../../supabase/functions/_shared/entry.ts";
import { Keyring } from "../../../supabase/functions/_shared/keyring.ts";
import type { StoredEntry } from "../../../supabase/functions/_shared/trail.ts";
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

/** An entry checker's setup: the keys only. */
export interface EntryCheckSetup {
  kind: "entries";
  signingKeys: string;
}

export interface EntryBatch {
  index: number;
  entries: StoredEntry[];
}

/**
 * The checks of a batch, compactly: per entry, bit 1 hash_valid and bit 2 signature_valid; the
 * errors (rare) by the entry's position.
 */
export interface EntriesChecked {
  type: "checked";
  index: number;
  flags: Uint8Array;
  errors: Array<[number, string]>;
}

export type EntryCheckerMessage = { type: "ready" } | EntriesChecked | { type: "error"; index: number; message: string };

if (parentPort && (workerData as EntryCheckSetup).kind === "entries") {
  checkEntries(parentPort, Keyring.forVerification((workerData as EntryCheckSetup).signingKeys));
} else if (parentPort) {
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

function checkEntries(port: MessagePort, keyring: Keyring) {
  const send = (message: EntryCheckerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  port.on("message", ({ index, entries }: EntryBatch) => {
    try {
      const flags = new Uint8Array(entries.length);
      const errors: Array<[number, string]> = [];
      for (let i = 0; i < entries.length; i++) {
        const check = checkEntry(entries[i], keyring);
        flags[i] = (check.hash_valid ? 1 : 0) | (check.signature_valid ? 2 : 0);
        if (check.error !== undefined) errors.push([i, check.error]);
      }
      send({ type: "checked", index, flags, errors }, [flags.buffer as ArrayBuffer]);
    } catch (error) {
      send({ type: "error", index, message: (error as Error).message });
    }
  });
  send({ type: "ready" });
}
