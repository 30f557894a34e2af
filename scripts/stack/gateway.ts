// The local stand-in for Supabase's edge gateway, run by the real Deno runtime:
//   deno run --allow-net --allow-env --allow-read --allow-sys scripts/stack/gateway.ts
// It loads every function's own index.ts unchanged (each calls Deno.serve, which is captured here
// rather than opening its own port), verifies the JWT as the hosted gateway does wherever
// supabase/config.toml leaves `verify_jwt` on, and routes /functions/v1/<name>/… to it.
//
// Reads: PORT (default 54321), JWT_SECRET, FUNCTIONS_DIR (default supabase/functions).
import { jwtVerify } from "jose";
import { parse as parseToml } from "smol-toml";

type Handler = (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

const port = Number(Deno.env.get("PORT") ?? "54321");
const jwtSecret = Deno.env.get("JWT_SECRET");
if (!jwtSecret) throw new Error("JWT_SECRET is not set: the gateway cannot verify tokens without it");
const secretKey = new TextEncoder().encode(jwtSecret);
const functionsDir = new URL(Deno.env.get("FUNCTIONS_DIR") ?? "../../supabase/functions/", import.meta.url);
const configUrl = new URL("../config.toml", functionsDir);

const config = parseToml(await Deno.readTextFile(configUrl)) as {
  functions?: Record<string, { verify_jwt?: boolean }>;
};

// On Supabase an uncaught exception ends one function's worker and the next request gets a new
// one; here all functions share this process, so log it and keep serving instead of dying. (Seen:
// postgres.js writing to a socket that a killed database closed, from a timer, outside any request.)
globalThis.addEventListener("error", (event) => {
  console.error("uncaught error in a function:", event.error);
  event.preventDefault();
});
globalThis.addEventListener("unhandledrejection", (event) => {
  console.error("unhandled rejection in a function:", event.reason);
  event.preventDefault();
});

const handlers = new Map<string, Handler>();
const serve = Deno.serve.bind(Deno);
let loading = "";

// Functions call Deno.serve(handler) at import time; keep the handler instead of listening.
// deno-lint-ignore no-explicit-any
(Deno as any).serve = (...args: unknown[]) => {
  const handler = args.find((arg) => typeof arg === "function") ??
    (args[0] as { handler?: Handler } | undefined)?.handler;
  if (!handler) throw new Error(`function ${loading} called Deno.serve without a handler`);
  handlers.set(loading, handler as Handler);
  return { finished: new Promise(() => {}), shutdown: async () => {}, ref() {}, unref() {}, addr: { port } };
};

for await (const entry of Deno.readDir(functionsDir)) {
  if (!entry.isDirectory || entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
  const index = new URL(`${entry.name}/index.ts`, functionsDir);
  try {
    await Deno.stat(index);
  } catch {
    continue;
  }
  loading = entry.name;
  await import(index.href);
  if (!handlers.has(entry.name)) throw new Error(`function ${entry.name} did not call Deno.serve`);
}
loading = "";

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

async function authorised(request: Request): Promise<Response | null> {
  const header = request.headers.get("authorization");
  if (!header) return json(401, { code: 401, message: "Missing authorization header" });
  const match = /^Bearer (\S+)$/i.exec(header);
  if (!match) return json(401, { code: 401, message: "Invalid JWT: expected 'Authorization: Bearer <token>'" });
  try {
    await jwtVerify(match[1], secretKey, { algorithms: ["HS256"] });
    return null;
  } catch (error) {
    return json(401, { code: 401, message: `Invalid JWT: ${(error as Error).message}` });
  }
}

serve({ port, hostname: "127.0.0.1", onListen: () => {
  console.log(`functions gateway on http://127.0.0.1:${port}/functions/v1/ serving ${[...handlers.keys()].sort().join(", ")}`);
} }, async (request, info) => {
  const { pathname } = new URL(request.url);
  const match = /^\/functions\/v1\/([^/]+)/.exec(pathname);
  const name = match?.[1];
  const handler = name ? handlers.get(name) : undefined;
  if (!name || !handler) return json(404, { code: "NOT_FOUND", message: "Requested function was not found" });
  if (request.method !== "OPTIONS" && config.functions?.[name]?.verify_jwt !== false) {
    const refusal = await authorised(request);
    if (refusal) return refusal;
  }
  try {
    return await handler(request, info);
  } catch (error) {
    // A function that throws is a bug in the function; the hosted runtime answers 500 likewise.
    console.error(`function ${name} threw:`, error);
    return json(500, { code: "INTERNAL_ERROR", message: "The function failed; see the server log" });
  }
});
