// A local Transparency Database: the Commission's API contract (digital-services-act/
// transparency-database, routes/api_v1.php) implemented as it behaves, for tests. It is not a stub:
//   - Laravel Sanctum auth: no or unknown Bearer token → 401 {"message":"Unauthenticated."} (a
//     302 to /login when the caller does not send Accept: application/json); a token whose user
//     lacks the permission → 403 {"message":"This action is unauthorized."}.
//   - POST /api/v1/statement: StatementStoreRequest rules → 422 {"message", "errors"}; a puid the
//     platform already used → 422 PuidNotUniqueSingleException's body; else 201 with the statement.
//   - POST /api/v1/statements: 'statements' => required|array|between:1,100 → 422 {"message",
//     "errors"}; then every statement against multi_rules → 422 {"errors": {"statement_N": {…}}}
//     with nothing stored; then duplicate puids in the call, then puids already stored →
//     422 PuidNotUniqueMultipleException's body (errors.existing_puids), nothing stored; else all
//     stored at once, 201 {"statements": [...]} in request order, each with its new uuid.
//   - GET /api/v1/statement/existing-puid/{puid}: 302 {"message":"statement of reason found"} or
//     404 {"message":"statement of reason not found"}, per platform.
//   - GET /api/v1/statement/{uuid}.
//   - Every string of the input is trimmed and "" becomes null first, as Laravel's global
//     middleware does, so what is stored (and the puid it is keyed by) is the trimmed value.
// The field rules are the shared contract (supabase/functions/_shared/sor/contract.ts);
// tests/sor.contract.test.ts proves them against hand-written statements taken from the PHP rules.
// Faults are injected per route: a status (429 with Retry-After, 5xx), a hang (no answer until the
// server closes, for timeouts), "store then hang" / "store then 500" (the statements are stored
// but the caller never learns it: a lost answer), and a latency for every answer.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { laravelInput, laravelMessage, maxStatementsPerBatch, statementErrors } from "../../supabase/functions/_shared/sor/contract.ts";

export interface TdbUser {
  platformId: number | null;
  platformName?: string;
  permissions?: Array<"create statements" | "view statements">;
}

export type RouteName = "statement" | "statements" | "existing-puid";

export type Fault =
  | { kind: "status"; status: number; retryAfter?: number; body?: unknown }
  | { kind: "hang" }
  | { kind: "store-then-hang" }
  | { kind: "store-then-status"; status: number };

export interface Call {
  route: RouteName | "show" | "unknown";
  status: number | "hung";
  puids: string[];
}

export interface TdbServer {
  url: string;
  /** Stored statements per platform, by puid. */
  stored: Map<number, Map<string, Record<string, unknown>>>;
  calls: Call[];
  /** Times each puid was stored (more than 1 would be a double submission; the server refuses it anyway). */
  storeCount: Map<string, number>;
  /** Adds faults for the next calls of a route, in order. */
  inject(route: RouteName, ...faults: Fault[]): void;
  latencyMs: number;
  reset(): void;
  close(): Promise<void>;
}

const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

export async function startTdbServer(options: { port?: number; users: Record<string, TdbUser> }): Promise<TdbServer> {
  const stored = new Map<number, Map<string, Record<string, unknown>>>();
  const byUuid = new Map<string, Record<string, unknown>>();
  const calls: Call[] = [];
  const storeCount = new Map<string, number>();
  const faults = new Map<RouteName, Fault[]>();
  const sockets = new Set<Socket>();
  const hung = new Set<ServerResponse>();

  const platformStore = (platformId: number) => {
    let store = stored.get(platformId);
    if (!store) stored.set(platformId, store = new Map());
    return store;
  };

  const store = (user: TdbUser, statements: Record<string, unknown>[]) => {
    const created_at = new Date().toISOString().replace("T", " ").slice(0, 19);
    return statements.map((statement) => {
      const uuid = randomUUID();
      const out = {
        ...statement,
        uuid,
        platform_name: user.platformName ?? `platform-${user.platformId}`,
        created_at,
        self: `${server.url}/api/v1/statement/${uuid}`,
        permalink: `${server.url}/statement/${uuid}`,
      };
      platformStore(user.platformId!).set(String(statement.puid), out);
      byUuid.set(uuid, out);
      storeCount.set(String(statement.puid), (storeCount.get(String(statement.puid)) ?? 0) + 1);
      return out;
    });
  };

  const readBody = (req: IncomingMessage) => new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/\/+$/, "");
    const text = await readBody(req);
    if (server.latencyMs > 0) await new Promise((r) => setTimeout(r, server.latencyMs));

    let route: Call["route"] = "unknown";
    let puid: string | undefined;
    if (path === "/api/v1/statement" ) route = "statement";
    else if (path === "/api/v1/statements") route = "statements";
    else if (path.startsWith("/api/v1/statement/existing-puid/")) {
      route = "existing-puid";
      puid = decodeURIComponent(path.slice("/api/v1/statement/existing-puid/".length));
    } else if (/^\/api\/v1\/statement\/[^/]+$/.test(path)) route = "show";

    // JSON input, as Laravel reads it: a body that is not JSON is no input at all.
    let input: unknown = {};
    if (/application\/json/i.test(req.headers["content-type"] ?? "")) {
      try {
        // TrimStrings + ConvertEmptyStringsToNull run on every request before the controller.
        input = text === "" ? {} : laravelInput(JSON.parse(text));
      } catch {
        input = {};
      }
    }
    const puidsOf = (): string[] => {
      if (route === "statement") return [String((input as Record<string, unknown>)?.puid ?? "")];
      if (route === "statements") {
        const list = (input as { statements?: unknown })?.statements;
        return Array.isArray(list) ? list.map((s) => String((s as Record<string, unknown>)?.puid ?? "")) : [];
      }
      return puid === undefined ? [] : [puid];
    };
    const call: Call = { route, status: 0, puids: puidsOf() };
    calls.push(call);
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      sendJson(res, status, body, headers);
    };

    if (route === "unknown") return answer(404, { message: `The route ${path.replace(/^\//, "")} could not be found.` });
    const allowed = route === "statement" || route === "statements" ? "POST" : "GET";
    if (req.method !== allowed) {
      return answer(405, { message: `The ${req.method} method is not supported for route ${path.replace(/^\//, "")}. Supported methods: ${allowed}.` });
    }

    // auth:sanctum
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const user = token === undefined ? undefined : options.users[token];
    if (!user) {
      if (!/json/i.test(req.headers.accept ?? "")) {
        call.status = 302;
        res.writeHead(302, { location: `${server.url}/login` });
        return res.end();
      }
      return answer(401, { message: "Unauthenticated." });
    }
    const permission = route === "statement" || route === "statements" ? "create statements" : "view statements";
    if (!(user.permissions ?? ["create statements", "view statements"]).includes(permission)) {
      return answer(403, { message: "This action is unauthorized." });
    }

    // Injected faults (the throttle and the infrastructure in front of the application).
    const fault = route === "show" ? undefined : faults.get(route)?.shift();
    if (fault?.kind === "status") {
      const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) };
      return answer(fault.status, fault.body ?? (fault.status === 429 ? { message: "Too Many Attempts." } : { message: "Server Error" }), headers);
    }
    if (fault?.kind === "hang") {
      call.status = "hung";
      hung.add(res);
      return;
    }

    if (route === "show") {
      const found = byUuid.get(path.slice("/api/v1/statement/".length));
      return found ? answer(200, found) : answer(404, { message: "Not Found" });
    }
    if (route === "existing-puid") {
      const found = user.platformId !== null && platformStore(user.platformId).has(puid!);
      return found
        ? answer(302, { message: "statement of reason found", puid })
        : answer(404, { message: "statement of reason not found", puid });
    }

    const afterStore = (respond: () => void) => {
      if (fault?.kind === "store-then-hang") {
        call.status = "hung";
        hung.add(res);
        return;
      }
      if (fault?.kind === "store-then-status") return answer(fault.status, { message: "Server Error" });
      respond();
    };

    if (route === "statement") {
      // StatementStoreRequest::authorize(): the user must belong to a platform.
      if (user.platformId === null) return answer(403, { message: "This action is unauthorized." });
      const errors = statementErrors(input, "single");
      if (Object.keys(errors).length > 0) return answer(422, { message: laravelMessage(errors), errors });
      const statement = input as Record<string, unknown>;
      const existing = platformStore(user.platformId).has(String(statement.puid));
      if (existing) {
        const message = "The identifier given is not unique within this platform.";
        return answer(422, { message, errors: { puid: [message] }, existing: { puid: statement.puid } });
      }
      const [out] = store(user, [statement]);
      return afterStore(() => answer(201, { ...out, id: byUuid.size, puid: statement.puid }));
    }

    // POST /api/v1/statements
    const list = (input as { statements?: unknown })?.statements;
    const listErrors: string[] = [];
    if (list === undefined || list === null || (Array.isArray(list) && list.length === 0)) listErrors.push("The statements field is required.");
    else if (!Array.isArray(list)) listErrors.push("The statements field must be an array.", "The statements field must have between 1 and 100 items.");
    else if (list.length > maxStatementsPerBatch) listErrors.push("The statements field must have between 1 and 100 items.");
    if (listErrors.length > 0) return answer(422, { message: laravelMessage({ statements: listErrors }), errors: { statements: listErrors } });
    const statements = list as unknown[];
    const perStatement: Record<string, Record<string, string[]>> = {};
    statements.forEach((statement, index) => {
      const errors = statementErrors(statement, "multi");
      if (Object.keys(errors).length > 0) perStatement[`statement_${index}`] = errors;
    });
    if (Object.keys(perStatement).length > 0) return answer(422, { errors: perStatement });
    if (user.platformId === null) return answer(403, { message: "This action is unauthorized." });
    const puids = statements.map((s) => String((s as Record<string, unknown>).puid));
    const notUnique = (duplicates: string[]) => {
      const message = "The platform identifier(s) are not all unique within this call.";
      return answer(422, { message, errors: { puid: [message], existing_puids: duplicates } });
    };
    const inCall = [...new Set(puids.filter((p, i) => puids.indexOf(p) !== i))];
    if (inCall.length > 0) return notUnique(inCall);
    const already = puids.filter((p) => platformStore(user.platformId!).has(p));
    if (already.length > 0) return notUnique(already);
    const out = store(user, statements as Record<string, unknown>[]);
    return afterStore(() => answer(201, { statements: out }));
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) sendJson(res, 500, { message: "Server Error", detail: String(error) });
    });
  });
  http.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (http.address() as AddressInfo).port;

  const server: TdbServer = {
    url: `http://127.0.0.1:${port}`,
    stored,
    calls,
    storeCount,
    latencyMs: 0,
    inject(route, ...added) {
      faults.set(route, [...(faults.get(route) ?? []), ...added]);
    },
    reset() {
      stored.clear();
      byUuid.clear();
      calls.length = 0;
      storeCount.clear();
      faults.clear();
      server.latencyMs = 0;
      for (const res of hung) res.destroy();
      hung.clear();
    },
    async close() {
      for (const res of hung) res.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  return server;
}
