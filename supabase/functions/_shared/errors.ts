// One error shape for every endpoint, and one mapping from our SQLSTATEs (class EV, listed in
// supabase/migrations/20261123000100_evident_schema_and_roles.sql) to HTTP statuses.

export const sqlStates = {
  appendOnly: "EVW01",
  ddlRefused: "EVW02",
  headGuard: "EVH01",
  chainSequence: "EVC01",
  chainLink: "EVC02",
  chainClock: "EVC03",
  noPartition: "EVP01",
  manifestWrite: "EVM01",
  alreadySealed: "EVM02",
  notSealed: "EVM03",
  sorPuidConflict: "EVS01",
  sorTransition: "EVS02",
} as const;

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

const statusBySqlState: Record<string, [number, ErrorCode]> = {
  [sqlStates.chainSequence]: [409, "chain_conflict"],
  [sqlStates.chainLink]: [409, "chain_conflict"],
  [sqlStates.chainClock]: [409, "chain_conflict"],
  [sqlStates.headGuard]: [409, "chain_conflict"],
  [sqlStates.appendOnly]: [409, "conflict"],
  [sqlStates.noPartition]: [503, "unavailable"],
  [sqlStates.sorPuidConflict]: [409, "conflict"],
};

// The database cannot be reached or is shutting down: the request may succeed when retried.
const unavailableCodes = new Set([
  "ECONNREFUSED", "ECONNRESET", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT",
  "57P01", "57P02", "57P03",
]);

// A value the request carried that the database's own checks refused (a CHECK constraint, text
// PostgreSQL cannot store, a value out of range): the caller's input, so a 400, never a 500.
// Schemas catch these first; this is the backstop where a database rule is stricter.
const refusedValueCodes = new Set(["23514", "22P02", "22P05", "22001", "22003", "22007", "22008", "22021"]);

/** Turns a database error carrying one of our SQLSTATEs into the API error it stands for. */
export function fromDatabaseError(error: unknown): ApiError | undefined {
  const code = (error as { code?: string } | null)?.code;
  if (code && (unavailableCodes.has(code) || code.startsWith("08"))) {
    return new ApiError(503, "unavailable", "the database is unavailable; nothing was written, retry later");
  }
  if (code && refusedValueCodes.has(code)) {
    const constraint = (error as { constraint_name?: string }).constraint_name;
    return new ApiError(400, "invalid_request",
      `a value was refused by the database${constraint ? ` (check ${constraint})` : ""}; nothing was written`, { sqlstate: code });
  }
  if (!code || !(code in statusBySqlState)) return undefined;
  const [status, apiCode] = statusBySqlState[code];
  return new ApiError(status, apiCode, (error as Error).message, { sqlstate: code });
}
