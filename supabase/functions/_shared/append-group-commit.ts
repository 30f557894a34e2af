// Group commit for appends: concurrent append requests share one transaction.
//
// A single-event append spends most of its time on what every transaction costs PostgreSQL (BEGIN,
// SET ROLE, the head lock, the chain check, COMMIT), not on its one row. So requests that arrive
// while the group transactions are in flight wait for one to end and then go together in the next:
// one membership round trip, each organisation's head locked once (in a fixed order), one INSERT
// for every organisation's events (the chain trigger checks each organisation of a statement), one
// COMMIT (append.ts, appendBatches). Nothing waits on a timer: a request that finds a free slot
// (limits.inFlight) starts a transaction at once, alone ("natural batching"), so a lone request is
// no slower. A group is bounded in requests and events; only requests in flight are held, each once.
//
// A group that runs long (waiting for a head lock that another transaction holds, or on a connection
// the database dropped) stops holding back the next group after stalledAfterMs, so one organisation's
// wait does not become every organisation's.
//
// Each caller gets the answer it would have got alone. A request refused on its own merits (not a
// member, an idempotency conflict, a timestamp in the future, a head that disagrees with its trail)
// is refused in the group without touching the others, and a replay of a key an earlier request of
// the same group wrote replays it. If the group's transaction fails for a reason no request could
// be charged with beforehand (a statement refused by the database), nothing was written, and every
// request of the group runs again in a transaction of its own (per organisation in arrival order),
// to get its own answer. If the database became unreachable, whether the COMMIT happened is
// unknown: every request gets the 503 it would have got alone, and nothing is run again.
//
// Only requests that are just an append go through groups: a large batch (which goes through COPY
// and is its own group anyway) and one that queues a Statement of Reasons run alone, as before.
import { copyFromEntries } from "./append-write.ts";
import { appendBatches, type AppendedEvent, appendEvents, type AppendOutcome } from "./append.ts";
import type { Caller } from "./auth.ts";
import { asWriter, type Sql, type WriterTransaction } from "./db.ts";
import { isDatabaseUnavailable } from "./errors.ts";
import type { Keyring } from "./keyring.ts";
import { organizationRoleRefusals, requireOrganizationRole, writerRoles } from "./membership.ts";
import type { EventInput } from "./schemas/events.ts";
import { enqueueDecisionStatements, queuesStatement } from "./sor/outbox.ts";

/** One POST to audit-events, validated: who asks to append which events to which organisation. */
export interface AppendRequest {
  caller: Caller;
  organizationId: string;
  events: EventInput[];
}

export interface GroupLimits {
  /** Requests in one transaction at most. */
  maxRequests: number;
  /** Events in one transaction at most (a request is never split; one larger request goes alone). */
  maxEvents: number;
  /**
   * Group transactions at once. A request joins a queue only while all of them are busy. Two: while
   * PostgreSQL works on one group, this process seals the next and the other core is not idle
   * (measured against one: more events per second over HTTP, lower p99).
   */
  inFlight: number;
  /**
   * A group still running after this many milliseconds no longer holds back the next one: it may be
   * waiting for a head lock that a long transaction holds, or on a connection the database dropped
   * without a word (postgres.js then never settles the statements sent on it).
   */
  stalledAfterMs: number;
}

export const defaultGroupLimits: GroupLimits = { maxRequests: 64, maxEvents: 512, inFlight: 2, stalledAfterMs: 250 };

interface Waiting {
  request: AppendRequest;
  resolve: (events: AppendedEvent[]) => void;
  reject: (error: unknown) => void;
}

/** One request alone in its own transaction: the path every request took before group commit. */
export async function appendAlone(sql: Sql, keyring: Keyring, { caller, organizationId, events }: AppendRequest): Promise<AppendedEvent[]> {
  return await asWriter(sql, async (tx) => {
    await requireOrganizationRole(tx, caller, organizationId, writerRoles);
    const appended = await appendEvents(tx, organizationId, events, keyring);
    await enqueueDecisionStatements(tx, organizationId, events, appended);
    return appended;
  });
}

export class AppendGroupCommit {
  readonly #waiting: Waiting[] = [];
  #running = 0;

  constructor(
    private readonly sql: () => Sql,
    private readonly keyring: Keyring,
    private readonly limits: GroupLimits = defaultGroupLimits,
  ) {}

  /** Appends the request's events, alone or in the next group; resolves once they are committed. */
  append(request: AppendRequest): Promise<AppendedEvent[]> {
    // A batch for COPY is a group of its own already; queueing a statement is more than an append.
    if (request.events.length >= copyFromEntries || request.events.some(queuesStatement)) {
      return appendAlone(this.sql(), this.keyring, request);
    }
    return new Promise((resolve, reject) => {
      this.#waiting.push({ request, resolve, reject });
      this.#start();
    });
  }

  #start(): void {
    while (this.#running < this.limits.inFlight && this.#waiting.length > 0) {
      const group = this.#nextGroup();
      this.#running += 1;
      let running = true;
      const done = () => {
        if (!running) return;
        running = false;
        this.#running -= 1;
        this.#start();
      };
      const stalled = setTimeout(done, this.limits.stalledAfterMs);
      // #commit answers every request; should it throw all the same, nobody is left waiting.
      void this.#commit(group).catch((error) => {
        for (const waiting of group) waiting.reject(error);
      }).finally(() => {
        clearTimeout(stalled);
        done();
      });
    }
  }

  /** The longest run of waiting requests, in arrival order, within the limits (at least one). */
  #nextGroup(): Waiting[] {
    let events = 0;
    let count = 0;
    for (const { request } of this.#waiting) {
      if (count === this.limits.maxRequests || (count > 0 && events + request.events.length > this.limits.maxEvents)) break;
      events += request.events.length;
      count += 1;
    }
    return this.#waiting.splice(0, count);
  }

  async #commit(group: Waiting[]): Promise<void> {
    let outcomes: AppendOutcome[];
    try {
      outcomes = await asWriter(this.sql(), (tx) => appendGroup(tx, group.map(({ request }) => request), this.keyring));
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        // The database went away: the COMMIT may or may not have happened. Alone, each request
        // would have got this same answer; running them again could write them twice.
        for (const waiting of group) waiting.reject(error);
        return;
      }
      await this.#eachAlone(group);
      return;
    }
    group.forEach((waiting, i) => {
      const outcome = outcomes[i];
      if ("refused" in outcome) waiting.reject(outcome.refused);
      else waiting.resolve(outcome.events);
    });
  }

  /**
   * After a group failed as a whole (and so wrote nothing): every request in a transaction of its
   * own, so that each gets its own answer. One organisation's requests run in arrival order, so a
   * repeated idempotency key is answered as it would have been in the group.
   */
  async #eachAlone(group: Waiting[]): Promise<void> {
    const byOrganization = new Map<string, Waiting[]>();
    for (const waiting of group) {
      const organizationId = waiting.request.organizationId.toLowerCase();
      byOrganization.set(organizationId, [...byOrganization.get(organizationId) ?? [], waiting]);
    }
    await Promise.all([...byOrganization.values()].map(async (requests) => {
      for (const { request, resolve, reject } of requests) {
        await appendAlone(this.sql(), this.keyring, request).then(resolve, reject);
      }
    }));
  }
}

/**
 * One group's work inside its transaction: every caller's membership in one query, then the
 * batches of those who may append, together (appendBatches). A refusal is the request's own
 * outcome; anything thrown fails the group.
 */
async function appendGroup(tx: WriterTransaction, requests: AppendRequest[], keyring: Keyring): Promise<AppendOutcome[]> {
  const refusals = await organizationRoleRefusals(tx, requests, writerRoles);
  const members = refusals.flatMap((refusal, i) => refusal ? [] : [i]);
  const appended = members.length === 0 ? [] : await appendBatches(tx, members.map((i) => requests[i]), keyring);
  const outcomes: AppendOutcome[] = refusals.map((refusal) => ({ refused: refusal }));
  members.forEach((requestIndex, i) => outcomes[requestIndex] = appended[i]);
  return outcomes;
}
