// Recomputing entries on every core, for the ordered passes over a month (monthPassOver in
// _shared/seal.ts: `evident verify --month`, `evident rehydrate`, `evident archive verify`). The
// pass keeps everything that depends on order (links, sequence, Merkle trees, the first failing
// entry) in its own thread and hands each batch's entries here; worker threads (worker.ts, started
// as parallel.ts starts them, with the keys in their workerData) run checkEntry on them and send
// back one verdict per entry, in order. The pass holds at most `depth` batches waiting, so memory
// stays flat. Until a worker is up, and after one has failed (out of its heap, say), batches are
// checked in this thread instead, with the same checkEntry: the verdicts are the same either way.
import type { Worker } from "node:worker_threads";
import { checkEntry, type EntryCheck } from "../../../supabase/functions/_shared/entry.ts";
import { Keyring } from "../../../supabase/functions/_shared/keyring.ts";
import type { EntryChecker } from "../../../supabase/functions/_shared/seal.ts";
import type { StoredEntry } from "../../../supabase/functions/_shared/trail.ts";
import { defaultJobs, startWorker } from "./parallel.ts";
import type { EntriesChecked, EntryCheckerMessage } from "./worker.ts";

export interface EntryCheckerOptions {
  /** AUDIT_SIGNING_KEYS: the workers build their own keyring from it (without it: no workers). */
  signingKeys: string | undefined;
  /** Worker threads; 1 checks in the pass's own thread (no checker). Default: defaultJobs(). */
  jobs?: number;
  /** Batches waiting for their checks at most (default 2). */
  depth?: number;
  /** Entries handed to one worker at a time at most (default: a batch split over the workers, at least 256). */
  partSize?: number;
  /** Each worker's V8 old generation, in MB (parallel.ts's default). */
  workerHeapMb?: number;
}

interface Task {
  index: number;
  entries: StoredEntry[];
  resolve: (checks: EntryCheck[]) => void;
  reject: (error: unknown) => void;
}

// The verdicts without an error, shared: most entries get one of these four.
const plain: EntryCheck[] = [0, 1, 2, 3].map((flags) => Object.freeze({ hash_valid: (flags & 1) !== 0, signature_valid: (flags & 2) !== 0 }));

/** A worker's answer as the EntryChecks checkEntry gave it. */
function decode({ flags, errors }: EntriesChecked): EntryCheck[] {
  const checks = Array.from(flags, (f) => plain[f]);
  for (const [i, error] of errors) checks[i] = { ...checks[i], error };
  return checks;
}

export class WorkerEntryChecker implements EntryChecker {
  readonly depth: number;
  /** Entries checked by the workers and in this thread so far. */
  readonly checked = { inWorkers: 0, inThread: 0 };
  readonly #keyring: Keyring;
  readonly #jobs: number;
  readonly #partSize: number | undefined;
  readonly #ready: Array<Promise<void>> = [];
  readonly #workers: Worker[] = [];
  readonly #idle: Worker[] = [];
  readonly #busy = new Map<Worker, Task>();
  readonly #queue: Task[] = [];
  #nextIndex = 0;
  /** Workers failed, or the checker was closed: everything is checked in this thread from now on. */
  #inThread = false;

  constructor(options: EntryCheckerOptions & { signingKeys: string; jobs: number }) {
    this.#keyring = Keyring.forVerification(options.signingKeys);
    this.#jobs = options.jobs;
    this.#partSize = options.partSize;
    this.depth = options.depth ?? 2;
    for (let i = 0; i < options.jobs; i++) {
      let worker: Worker;
      try {
        worker = startWorker({ kind: "entries", signingKeys: options.signingKeys }, options.workerHeapMb);
      } catch {
        this.#fail();
        return;
      }
      this.#workers.push(worker);
      this.#ready.push(new Promise((resolve) => {
        const up = (message: EntryCheckerMessage) => {
          if (message.type !== "ready") return;
          worker.off("message", up);
          resolve();
        };
        worker.on("message", up);
        worker.once("exit", () => resolve());
      }));
      worker.on("message", (message: EntryCheckerMessage) => this.#answer(worker, message));
      worker.on("error", () => this.#fail());
      worker.on("exit", () => {
        if (!this.#inThread) this.#fail();
      });
    }
  }

  check(entries: StoredEntry[]): Promise<EntryCheck[]> {
    // One part per worker, so a batch keeps them all busy.
    const size = this.#partSize ?? Math.max(256, Math.ceil(entries.length / this.#jobs));
    const parts: Array<Promise<EntryCheck[]>> = [];
    for (let at = 0; at < entries.length; at += size) {
      const part = entries.slice(at, at + size);
      parts.push(this.#inThread || this.#idle.length + this.#busy.size === 0
        // No worker up yet (a small month is done before one is), or none left.
        ? this.#here(part)
        : new Promise((resolve, reject) => {
          this.#queue.push({ index: this.#nextIndex++, entries: part, resolve, reject });
          this.#dispatch();
        }));
    }
    return parts.length === 1 ? parts[0] : Promise.all(parts).then((checked) => checked.flat());
  }

  /** Resolves when every worker is up (or has failed). */
  async ready(): Promise<void> {
    await Promise.all(this.#ready);
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    this.#inThread = true;
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }

  #here(entries: StoredEntry[]): Promise<EntryCheck[]> {
    try {
      const checks = entries.map((entry) => checkEntry(entry, this.#keyring));
      this.checked.inThread += entries.length;
      return Promise.resolve(checks);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #dispatch() {
    while (!this.#inThread && this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop()!;
      const task = this.#queue.shift()!;
      this.#busy.set(worker, task);
      worker.postMessage({ index: task.index, entries: task.entries });
    }
  }

  #answer(worker: Worker, message: EntryCheckerMessage) {
    if (this.#inThread) return;
    if (message.type === "ready") {
      this.#idle.push(worker);
    } else {
      const task = this.#busy.get(worker);
      this.#busy.delete(worker);
      this.#idle.push(worker);
      // A batch the worker could not check is checked here: whatever made it fail, fails the same way.
      if (task && message.type === "checked") {
        this.checked.inWorkers += task.entries.length;
        task.resolve(decode(message));
      } else if (task) {
        this.#here(task.entries).then(task.resolve, task.reject);
      }
    }
    this.#dispatch();
  }

  /** A worker failed: the rest, and whatever was handed out, is checked in this thread. */
  #fail() {
    if (this.#inThread) return;
    this.#inThread = true;
    const orphans = [...this.#busy.values(), ...this.#queue.splice(0)];
    this.#busy.clear();
    for (const w of this.#workers) void w.terminate();
    for (const task of orphans) this.#here(task.entries).then(task.resolve, task.reject);
  }
}

/**
 * Runs `work` with an entry checker on `jobs` worker threads (none with one job, or without the
 * keys: the pass then checks in its own thread), and stops the workers afterwards.
 */
export async function withEntryChecker<T>(options: EntryCheckerOptions, work: (checker: EntryChecker | undefined) => Promise<T>): Promise<T> {
  const jobs = Math.max(1, options.jobs ?? defaultJobs());
  if (jobs === 1 || !options.signingKeys) return await work(undefined);
  const checker = new WorkerEntryChecker({ ...options, signingKeys: options.signingKeys, jobs });
  try {
    return await work(checker);
  } finally {
    await checker.close();
  }
}
