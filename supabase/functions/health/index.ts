// GET /functions/v1/health: is the trail writable, and for how long? Reports database reachability,
// the newest applied migration and how many months ahead partitions exist, so a monitor notices
// before appends start failing with "no partition".
import { database } from "../_shared/db.ts";
import { handle, json, requireMethod } from "../_shared/http.ts";
import { readHealth } from "../_shared/health.ts";

Deno.serve(handle(async (request) => {
  requireMethod(request, "GET");
  const health = await readHealth(database());
  return json(health.status === "ok" ? 200 : 503, health);
}));
