#!/usr/bin/env node
// The `evident` command (package.json "bin"): runs the TypeScript CLI through tsx, so the CLI and
// the edge functions share the same _shared sources without a build step.
import { tsImport } from "tsx/esm/api";

const { main } = await tsImport("../src/cli/main.ts", import.meta.url);
process.exitCode = await main(process.argv.slice(2));
