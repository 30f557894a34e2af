// Compiles the `evident` CLI (src/cli, and the supabase/functions/_shared code it uses) into
// dist/cli with esbuild, so that running it needs no TypeScript compiler: `evident --help` starts
// in a fraction of the time tsx takes. npm runs it on `npm ci` / `npm install` ("prepare"), and
// `npm test` runs it before vitest. bin/evident.mjs uses the build only while it is fresh: when a
// source file listed in dist/cli/inputs.json is newer than the build (or gone), it runs the
// sources through tsx instead, so an edit is never shadowed by a stale build.
//   dist/cli/evident.mjs   the CLI (commands load their own chunks when they run)
//   dist/cli/worker.mjs    the verification worker thread (src/cli/verify/worker.ts), found by
//                          parallel.ts as ./worker.mjs beside the chunk that starts it
import { build } from "esbuild";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const outdir = path.join(root, "dist/cli");
const staging = `${outdir}.tmp-${process.pid}`;

const started = Date.now();
rmSync(staging, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { evident: "src/cli/main.ts", worker: "src/cli/verify/worker.ts" },
  outdir: staging,
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
writeFileSync(path.join(staging, "inputs.json"), JSON.stringify({ built_at: new Date().toISOString(), inputs }, null, 1) + "\n");
// Swap the whole folder at once, so a CLI starting meanwhile never sees half a build.
mkdirSync(path.dirname(outdir), { recursive: true });
const old = `${outdir}.old-${process.pid}`;
try {
  renameSync(outdir, old);
} catch { /* no previous build */ }
renameSync(staging, outdir);
rmSync(old, { recursive: true, force: true });
if (!process.argv.includes("--quiet")) console.log(`built dist/cli from ${inputs.length} source files in ${Date.now() - started} ms`);
