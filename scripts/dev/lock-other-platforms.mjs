// Records other platforms' optional binary packages (Deno, the Supabase CLI) in package-lock.json.
// This workplace's registry serves only the linux-x64 builds, so a lockfile generated here lacks
// the rest and `npm ci` rejects it as out of sync. npm skips these entries on a platform they do
// not match, without fetching; on a platform they match it fetches them as usual.
//   node scripts/dev/lock-other-platforms.mjs   (after any `npm install`)
import { readFileSync, writeFileSync } from "node:fs";

const lockPath = new URL("../../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const platforms = {
  "darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
  "darwin-x64": { os: ["darwin"], cpu: ["x64"] },
  "linux-arm64": { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
  "linux-arm64-glibc": { os: ["linux"], cpu: ["arm64"], libc: ["glibc"] },
  "linux-arm64-musl": { os: ["linux"], cpu: ["arm64"], libc: ["musl"] },
  "linux-x64-musl": { os: ["linux"], cpu: ["x64"], libc: ["musl"] },
  "win32-arm64": { os: ["win32"], cpu: ["arm64"] },
  "win32-x64": { os: ["win32"], cpu: ["x64"] },
  "windows-arm64": { os: ["win32"], cpu: ["arm64"] },
  "windows-x64": { os: ["win32"], cpu: ["x64"] },
};
let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key]) continue;
    const suffix = Object.keys(platforms).find((p) => name.endsWith(`-${p}`) || name.endsWith(`/${p}`));
    if (!suffix) throw new Error(`${name} (optional dependency of ${path || "the root"}) is missing and is not a known platform build`);
    lock.packages[key] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...platforms[suffix] };
    added++;
  }
}
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + "\n");
console.log(`recorded ${added} optional platform packages`);
