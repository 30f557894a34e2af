// Runs `supabase db advisors` (Supabase's splinter lints) and fails on any WARN or ERROR about
// objects in our schemas. INFO findings are printed for the record: policy-less, forced RLS on
// partitions and internal tables is deliberate (nobody but the owner may touch them).
import { spawn } from "node:child_process";
import { bin, repoRoot } from "../stack/config.ts";

export const ourSchemas = ["public", "evident", "transparency"];

interface Finding {
  name: string;
  level: "INFO" | "WARN" | "ERROR";
  detail: string;
  metadata?: { schema?: string; name?: string };
}

export async function advisorFindings(dbUrl: string): Promise<Finding[]> {
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(bin("supabase"), [
      "db", "advisors", `--remote=${dbUrl}`, "--yes", "--type", "all", "--level", "info", "--output-format", "json",
      "--workdir", repoRoot,
    ], { cwd: repoRoot, env: { ...process.env, DO_NOT_TRACK: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("exit", (status) => resolve({ code: status ?? 1, stdout, stderr }));
  });
  if (code !== 0) throw new Error(`supabase db advisors failed (exit ${code}): ${stderr.replaceAll(dbUrl, "<db-url>")}`);
  return (JSON.parse(stdout) as { results: Finding[] }).results ?? [];
}

export async function runAdvisors(dbUrl: string): Promise<boolean> {
  const findings = await advisorFindings(dbUrl);
  const ours = findings.filter((f) => ourSchemas.includes(f.metadata?.schema ?? ""));
  const blocking = ours.filter((f) => f.level !== "INFO");
  for (const f of ours) console.log(`${f.level.padEnd(5)} ${f.name}: ${f.detail}`);
  console.log(`advisors: ${ours.length} findings on our objects, ${blocking.length} at WARN or ERROR`);
  return blocking.length === 0;
}
