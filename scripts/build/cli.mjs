// Compiles the `evident` CLI (src/cli, and the supabase/functions/_shared code it uses) with
// esbuild, so that running it needs no TypeScript compiler: `evident --help` starts in a fraction
// of the time tsx takes. npm runs it on `npm ci` / `npm install` ("prepare"), and `npm test` runs
// it before vitest.
//
// Each build goes to a folder of its own, dist/cli/builds/<id>/, and dist/cli/current.json names
// the current one (replaced atomically). A command that is running keeps the build it started
// with, workers and lazily loaded chunks included, while another build replaces it; builds older
// than an hour are removed. In a build folder:
//   evident.mjs    the CLI (commands load their own chunks when they run)
//   worker.mjs     the verification worker thread (src/cli/verify/worker.ts), found by
//                  parallel.ts as ./worker.mjs beside the chunk that starts it
//   inputs.json    the sources it was built from: bin/evident.mjs runs the build only while none
//                  of them is newer (otherwise the sources, through tsx)
import { build } from "esbuild";
import { readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cliDir = path.join(root, "dist/cli");
const id = `${Date.now().toString(36)}-${process.pid}`;
const outdir = path.join(cliDir, "builds", id);

const started = Date.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: { evident: "src/cli/main.ts", worker: "src/cli/verify/worker.ts" },
  outdir,
  outExtension: { ".js": ".mjs" },
  // Chunks sit beside the entry points: parallel.ts resolves ./worker.mjs from its own chunk.
  chunkNames: "[name]-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // npm packages stay in node_modules, loaded by Node as they are.
  packages: "external",
  sourcemap: "linked",
  metafile: true,
  logLevel: "warning",
});
const inputs = Object.keys(result.metafile.inputs).filter((file) => !file.startsWith("node_modules/")).sort();
writeFileSync(path.join(outdir, "inputs.json"), JSON.stringify({ built_at: new Date().toISOString(), inputs }, null, 1) + "\n");

const pointer = path.join(cliDir, "current.json");
writeFileSync(`${pointer}.${id}`, JSON.stringify({ build: `builds/${id}/` }) + "\n");
renameSync(`${pointer}.${id}`, pointer);

// Builds older than an hour go (no command runs that long from a superseded build in practice).
for (const entry of readdirSync(path.join(cliDir, "builds"))) {
  const folder = path.join(cliDir, "builds", entry);
  if (entry !== id && Date.now() - statSync(folder).mtimeMs > 3_600_000) rmSync(folder, { recursive: true, force: true });
}
if (!process.argv.includes("--quiet")) console.log(`built dist/cli/builds/${id} from ${inputs.length} source files in ${Date.now() - started} ms`);
