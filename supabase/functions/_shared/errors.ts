// One error shape for every endpoint, and the one registry of our SQLSTATEs (class EV): every
// code the migrations raise (`errcode = 'EV…'`) is listed here once, with what it means and the
// HTTP status and error code it becomes when it reaches an endpoint. tests/sqlstates.test.ts
// parses supabase/migrations and fails on any code raised there but missing here, or listed here
// but raised nowhere. docs/architecture.md ("SQLSTATEs") renders this table.

/** A SQLSTATE Evident raises, what it means, and how the API answers it. */
export interface SqlStateEntry {
  readonly code: string;
  readonly meaning: string;
  readonly status: number;
  readonly error: ErrorCode;
}

export const sqlStateRegistry = {
  appendOnly: { code: "EVW01", status: 409, error: "conflict", meaning: "UPDATE, DELETE or TRUNCATE on audit data refused: append-only" },
  ddlRefused: { code: "EVW02", status: 409, error: "conflict", meaning: "DDL on an audit object refused outside a sanctioned function" },
  headGuard: { code: "EVH01", status: 409, error: "chain_conflict", meaning: "chain heads move only with an appended event" },
  chainSequence: { code: "EVC01", status: 409, error: "chain_conflict", meaning: "seq does not continue the organisation's chain (gap, fork or replay)" },
  chainLink: { code: "EVC02", status: 409, error: "chain_conflict", meaning: "previous_hash does not equal the chain head's entry_hash" },
  chainClock: { code: "EVC03", status: 409, error: "chain_conflict", meaning: "created_at outside the inserting transaction, or before the previous entry" },
  noPartition: { code: "EVP01", status: 503, error: "unavailable", meaning: "no partition exists for the event's month" },
  manifestWrite: { code: "EVM01", status: 409, error: "conflict", meaning: "partition manifests are written only by sealing and verification" },
  alreadySealed: { code: "EVM02", status: 409, error: "conflict", meaning: "the month is already sealed; a manifest is never overwritten" },
  notSealed: { code: "EVM03", status: 404, error: "not_found", meaning: "the month has no manifest" },
  checkpointRefused: { code: "EVK01", status: 409, error: "chain_conflict", meaning: "a checkpoint names an entry the trail does not hold, or a tree that does not end at it" },
  sorPuidConflict: { code: "EVS01", status: 409, error: "conflict", meaning: "a puid already queued with a different statement" },
  sorTransition: { code: "EVS02", status: 409, error: "conflict", meaning: "an outbox state change the outbox does not allow, or a deletion" },
  retentionRefused: { code: "EVR01", status: 409, error: "conflict", meaning: "a retention drop refused, naming every unmet condition" },
  tombstoneWrite: { code: "EVR09", status: 409, error: "conflict", meaning: "a change to a retention tombstone: tombstones are permanent" },
  personalDataWrite: { code: "EVG01", status: 409, error: "conflict", meaning: "a change to evident.personal_data other than one erasure" },
} as const satisfies Record<string, SqlStateEntry>;

export type SqlStateName = keyof typeof sqlStateRegistry;

/** The codes by name (`sqlStates.retentionRefused` is "EVR01"): compare with these, never with literals. */
export const sqlStates = Object.fromEntries(Object.entries(sqlStateRegistry).map(([name, entry]) => [name, entry.code])) as {
  readonly [K in SqlStateName]: (typeof sqlStateRegistry)[K]["code"];
};

/** Whether a thrown error carries one of the given registered SQLSTATEs. */
export function hasSqlState(error: unknown, ...names: SqlStateName[]): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && names.some((name) => sqlStateRegistry[name].code === code);
}

export type ErrorCode =
  | "invalid_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "conflict"
  | "chain_conflict"
  | "trail_not_verified"
  | "scope_too_large"
  | "not_final"
  | "unavailable"
  | "internal_error";

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

const statusBySqlState: Record<string, [number, ErrorCode]> = Object.fromEntries(
  Object.values(sqlStateRegistry).map((entry: SqlStateEntry) => [entry.code, [entry.status, entry.error]]),
);

// The database cannot be reached or is shutting down: the request may succeed when retried.
const unavailableCodes = new Set([
  "ECONNREFUSED", "ECONNRESET", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT",
  "57P01", "57P02", "57P03",
]);

// A value the request carried that the database's own checks refused (a CHECK constraint, text
// PostgreSQL cannot store, a value out of range): the caller's input, so a 400, never a 500.
// Schemas catch these first; this is the backstop where a database rule is stricter.
// (22023, invalid_parameter_value, is what the migrations' own argument checks raise.)
export const refusedValueCodes = new Set(["23514", "22P02", "22P05", "22001", "22003", "22007", "22008", "22021", "22023"]);

/**
 * Whether the error says the database could not be reached or dropped the connection: a transaction
 * under way on it is gone (PostgreSQL rolls it back), and whether a COMMIT sent on it took effect
 * is unknown.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (unavailableCodes.has(code) || code.startsWith("08"));
}

/** Turns a database error carrying one of our SQLSTATEs into the API error it stands for. */
export function fromDatabaseError(error: unknown): ApiError | undefined {
  const code = (error as { code?: string } | null)?.code;
  if (isDatabaseUnavailable(error)) {
    return new ApiError(503, "unavailable", "the database is unavailable; nothing was written, retry later");
  }
  if (code && refusedValueCodes.has(code)) {
    const constraint = (error as { constraint_name?: string }).constraint_name;
    return new ApiError(400, "invalid_request",
      `a value was refused by the database${constraint ? ` (check ${constraint})` : ""}; nothing was written`, { sqlstate: code });
  }
  if (!code || !Object.hasOwn(statusBySqlState, code)) return undefined;
  const [status, apiCode] = statusBySqlState[code];
  return new ApiError(status, apiCode, (error as Error).message, { sqlstate: code });
}
