// Verifying one long trail on every core. The organisation's seq range is cut into chunks that
// worker threads verify over their own database connections, each chunk anchored on the stored
// entry just before it; the coordinator joins the chunks' results in seq order. A chunk's result
// is taken only when the chunk before it really ended on that anchor (same seq, same hash).
// Otherwise (a deleted, duplicated or filtered-out boundary entry) the chunk is walked again from
// where the one before really ended, so the joined result is exactly what one sequential walk
// (verifyOrganization) reports: the same counts, the same first failing entry, the same end.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { ChainSummary, FailureKind } from "../../../supabase/functions/_shared/chain.ts";
import { Keyring } from "../../../supabase/functions/_shared/keyring.ts";
import type { Queryable } from "../../../supabase/functions/_shared/trail.ts";
import { type ChainAnchor, verifyEntries, type VerifyOptions, walkStart } from "../../../supabase/functions/_shared/verify.ts";
import type { ChunkDone, ChunkTask, EntryCheckSetup, WorkerMessage, WorkerSetup } from "./worker.ts";

export interface ParallelVerifyOptions extends VerifyOptions {
  /** The database the workers connect to (the same one `sql` reads). */
  dbUrl: string;
  /** AUDIT_SIGNING_KEYS: the workers build their own keyring from it. */
  signingKeys: string;
  /** Worker threads; 1 verifies in this thread. Default: the cores this process may use, at most 8. */
  jobs?: number;
  /** Entries per chunk. Small enough to spread a trail over the workers, large enough that a chunk's
   * anchor lookup and its last page's round trip are noise. */
  chunkSize?: number;
  /** Each worker's V8 old generation, in MB (default 48). */
  workerHeapMb?: number;
  /**
   * Walk only up to this seq (the chain head read before the walk, see verifyAgainstHead). Without
   * it the walk is open-ended, as a sequential walk is.
   */
  through?: number;
}

// Pages of 1,000 entries, and a small fixed heap per worker: V8 otherwise lets a heap that only
// ever holds two pages grow lazily to a hundred MB or more per thread. Measured on 200,000 entries
// with two workers: peak RSS 416 MB with pages of 5,000 and default heaps, 186 MB like this, for
// about 10% less speed. A worker that fails (out of its heap, on entries with very large metadata;
// or refused a connection) does not fail the run: the trail is walked again in this thread, whose
// heap is not capped, over the connection the run already has.
const defaultPageSize = 1000;
const defaultWorkerHeapMb = 48;
const maxChunks = 1024;

export const defaultJobs = () => Math.min(availableParallelism(), 8);

/** A verification worker thread (worker.ts; worker.mjs loads it from the sources, the build has its own beside this chunk). */
export function startWorker(setup: WorkerSetup | EntryCheckSetup, heapMb = defaultWorkerHeapMb): Worker {
  return new Worker(new URL("./worker.mjs", import.meta.url), {
    workerData: setup,
    resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 4 },
  });
}

export async function verifyOrganizationInParallel(
  sql: Queryable,
  organizationId: string,
  options: ParallelVerifyOptions,
): Promise<ChainSummary> {
  const keyring = Keyring.forVerification(options.signingKeys);
  const filters = { from: options.from, to: options.to, pageSize: options.pageSize ?? defaultPageSize, through: options.through };
  const start = await walkStart(sql, organizationId, options.from);
  const last = options.through ?? Number((await sql`
    select coalesce(max(seq), 0)::bigint as last from public.audit_events where organization_id = ${organizationId}::uuid`)[0].last);
  const span = Number(last) - start.seq;
  // At most maxChunks chunks, however far a planted row's seq reaches: the chunks past the real
  // trail are empty (one quick page each), and the last one is open-ended anyway.
  const chunkSize = Math.max(options.chunkSize ?? 50_000, Math.ceil(span / maxChunks));
  const jobs = Math.max(1, options.jobs ?? defaultJobs());
  if (jobs === 1 || span <= chunkSize) {
    return await verifyEntries(sql, organizationId, keyring, start, { ...filters, onProgress: options.onProgress });
  }

  const chunks: ChunkTask[] = [];
  for (let after = start.seq; after < Number(last); after += chunkSize) {
    chunks.push({ index: chunks.length, after, through: after + chunkSize, anchor: chunks.length === 0 ? start : undefined });
  }
  // The last chunk ends where the walk does: at `through`, or nowhere (entries appended meanwhile,
  // or left beyond a rewound head, are read too), as a sequential walk does.
  chunks[chunks.length - 1].through = options.through;

  let results: ChunkDone[];
  try {
    results = await runChunks(
      chunks,
      Math.min(jobs, chunks.length),
      { dbUrl: options.dbUrl, signingKeys: options.signingKeys, organizationId, ...filters },
      options.workerHeapMb,
      (checked) => options.onProgress?.(organizationId, checked),
    );
  } catch {
    return await verifyEntries(sql, organizationId, keyring, start, { ...filters, onProgress: options.onProgress });
  }

  let state: ChainAnchor = start;
  let checked = 0;
  let lastSeq: number | null = null;
  let first: ChainSummary["first_failure"];
  const failures: Record<FailureKind, number> = { hash: 0, signature: 0, chain: 0, sequence: 0, undecodable: 0 };
  for (const chunk of chunks) {
    const done = results[chunk.index];
    let summary = done.summary;
    if (summary.checked === 0) continue;
    if (done.anchor.seq !== state.seq || done.anchor.hash !== state.hash) {
      summary = await verifyEntries(sql, organizationId, keyring, state, { ...filters, through: chunk.through });
    }
    checked += summary.checked;
    for (const kind of Object.keys(failures) as FailureKind[]) failures[kind] += summary.failures[kind];
    first ??= summary.first_failure;
    lastSeq = summary.last_seq;
    state = { seq: summary.last_seq!, hash: summary.last_hash };
  }
  return {
    organization_id: organizationId,
    checked,
    valid: first === undefined,
    failures,
    ...(first ? { first_failure: first } : {}),
    last_seq: lastSeq,
    last_hash: state.hash,
  };
}

/** Hands the chunks to `workers` threads, the next chunk to whichever finishes first. */
function runChunks(
  chunks: ChunkTask[],
  workers: number,
  setup: WorkerSetup,
  heapMb: number | undefined,
  onProgress: (checked: number) => void,
): Promise<ChunkDone[]> {
  return new Promise((resolve, reject) => {
    const results: ChunkDone[] = [];
    const pool: Worker[] = [];
    let nextChunk = 0;
    let finished = 0;
    let checked = 0;
    let failed = false;
    const stopAll = () => Promise.all(pool.map((w) => w.terminate()));
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      void stopAll().finally(() => reject(error));
    };
    const assign = (worker: Worker) => {
      if (nextChunk < chunks.length) worker.postMessage(chunks[nextChunk++]);
      else worker.postMessage({ stop: true });
    };
    for (let i = 0; i < workers && !failed; i++) {
      let worker: Worker;
      try {
        worker = startWorker(setup, heapMb);
      } catch (error) {
        fail(error as Error);
        break;
      }
      pool.push(worker);
      worker.on("message", (message: WorkerMessage) => {
        if (failed) return;
        if (message.type === "progress") {
          checked += message.checked;
          onProgress(checked);
        } else if (message.type === "error") {
          fail(new Error(`verification worker: ${message.message}`));
        } else {
          results[message.index] = message;
          if (++finished === chunks.length) resolve(results);
          assign(worker);
        }
      });
      worker.on("error", fail);
      worker.on("exit", (code) => {
        if (code !== 0 && finished < chunks.length) fail(new Error(`verification worker exited with code ${code}`));
      });
      assign(worker);
    }
  });
}
