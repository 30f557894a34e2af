// Entry point of a verification worker thread: loads the TypeScript worker through tsx, as
// bin/evident.mjs loads the CLI.
import { tsImport } from "tsx/esm/api";

await tsImport("./worker.ts", import.meta.url);
