// GET /functions/v1/health: is the trail writable, and for how long? Reports database reachability,
// the newest applied migration and how many months ahead partitions exist, so a monitor notices
// before appends start failing with "no partition". Any valid credential of the project may ask:
// the anon or publishable key, the service role or secret key, or a user's JWT. The function
// checks it itself (verify_jwt is off: the platform check would refuse the sb_… API keys).
import { identify, jwtVerifierFromEnv } from "../_shared/auth.ts";
import { database } from "../_shared/db.ts";
import { handle, json, requireMethod } from "../_shared/http.ts";
import { readHealth } from "../_shared/health.ts";

const verify = jwtVerifierFromEnv();

Deno.serve(handle(async (request) => {
  requireMethod(request, "GET");
  await identify(request, verify);
  const health = await readHealth(database());
  return json(health.status === "ok" ? 200 : 503, health);
}));
