#!/usr/bin/env node
// The `evident` command (package.json "bin"). Runs the compiled CLI in dist/cli (built by
// scripts/build/cli.mjs on `npm ci` and before `npm test`) while it is fresh; when a source it was
// built from has changed since, or there is no build, it runs the TypeScript sources through tsx
// (slower to start, never stale).
import { readFileSync, statSync } from "node:fs";

const dist = new URL("../dist/cli/", import.meta.url);
const root = new URL("../", import.meta.url);

function fresh() {
  try {
    const builtAt = statSync(new URL("evident.mjs", dist)).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(new URL("inputs.json", dist), "utf8"));
    return inputs.every((file) => statSync(new URL(file, root)).mtimeMs <= builtAt);
  } catch {
    return false;
  }
}

// EVIDENT_CLI_FROM_SOURCE=1 forces the sources; EVIDENT_CLI_TRACE=1 says on stderr which ran.
let main;
if (process.env.EVIDENT_CLI_FROM_SOURCE !== "1" && fresh()) {
  if (process.env.EVIDENT_CLI_TRACE === "1") console.error("evident: running the build in dist/cli");
  ({ main } = await import(new URL("evident.mjs", dist)));
} else {
  if (process.env.EVIDENT_CLI_TRACE === "1") console.error("evident: running the sources through tsx (no build, or an older one)");
  const { tsImport } = await import("tsx/esm/api");
  ({ main } = await tsImport("../src/cli/main.ts", import.meta.url));
}
process.exitCode = await main(process.argv.slice(2));
