#!/usr/bin/env node
// The `evident` command (package.json "bin"). Runs the compiled CLI (scripts/build/cli.mjs builds
// it on `npm ci` and before `npm test`; dist/cli/current.json names the build) while it is fresh;
// when a source it was built from has changed since, or there is no build, it runs the TypeScript
// sources through tsx (slower to start, never stale).
// EVIDENT_CLI_FROM_SOURCE=1 forces the sources; EVIDENT_CLI_TRACE=1 says on stderr which ran.
import { readFileSync, statSync } from "node:fs";

const root = new URL("../", import.meta.url);

function freshBuild() {
  try {
    const pointer = JSON.parse(readFileSync(new URL("dist/cli/current.json", root), "utf8"));
    const build = new URL(`dist/cli/${pointer.build}`, root);
    const entry = new URL("evident.mjs", build);
    const builtAt = statSync(entry).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(new URL("inputs.json", build), "utf8"));
    return inputs.every((file) => statSync(new URL(file, root)).mtimeMs <= builtAt) ? entry : undefined;
  } catch {
    return undefined;
  }
}

const build = process.env.EVIDENT_CLI_FROM_SOURCE === "1" ? undefined : freshBuild();
let main;
if (build) {
  if (process.env.EVIDENT_CLI_TRACE === "1") console.error(`evident: running the build in ${build.pathname.slice(root.pathname.length, -"/evident.mjs".length)}`);
  ({ main } = await import(build));
} else {
  if (process.env.EVIDENT_CLI_TRACE === "1") console.error("evident: running the sources through tsx (no build, or an older one)");
  const { tsImport } = await import("tsx/esm/api");
  ({ main } = await tsImport("../src/cli/main.ts", import.meta.url));
}
process.exitCode = await main(process.argv.slice(2));
