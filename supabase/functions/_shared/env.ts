// Environment access that works in Deno (edge functions) and Node (CLI, tests) alike.
declare const process: { env: Record<string, string | undefined> } | undefined;

export function readEnv(name: string): string | undefined {
  // deno-lint-ignore no-explicit-any
  const deno = (globalThis as any).Deno;
  if (deno?.env?.get) return deno.env.get(name) ?? undefined;
  return typeof process !== "undefined" ? process.env[name] : undefined;
}

/** A variable the caller cannot run without; the error names it and never echoes any value. */
export function requireEnv(name: string): string {
  const value = readEnv(name);
  if (value === undefined || value === "") throw new ConfigurationError(`${name} is not set`);
  return value;
}

export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}
