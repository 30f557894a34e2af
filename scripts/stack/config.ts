// Where the local stack lives and which ports it uses. Ports follow `supabase start`'s defaults so
// that clients written against a Docker-based local Supabase work unchanged.
import { fileURLToPath } from "node:url";
import path from "node:path";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const stateDir = path.join(repoRoot, ".evident");
export const dataDir = path.join(stateDir, "data");
export const stackEnvFile = path.join(stateDir, "stack.env");
export const localSecretsFile = path.join(stateDir, "secrets.env");

export const defaultApiPort = 54321;
export const defaultDbPort = 54322;

export const bin = (name: string) => path.join(repoRoot, "node_modules", ".bin", name);

// Supabase's documented local-development JWT secret. It signs the local anon and service-role
// keys and nothing else; it must never be used for a hosted project.
export const localJwtSecret = "super-secret-jwt-token-with-at-least-32-characters-long";
