// GET /functions/v1/audit-keys: the public key that verifies sealed months' manifests and signed
// checkpoints, so a regulator can check published evidence without any secret. Public
// (verify_jwt = false in supabase/config.toml): it serves nothing that is not meant to be public.
import { ExportSigner } from "../_shared/export-key.ts";
import { handle, json, requireMethod } from "../_shared/http.ts";

const signer = ExportSigner.fromEnv();

Deno.serve(handle((request) => {
  requireMethod(request, "GET");
  return Promise.resolve(json(200, {
    keys: [{ key_id: signer.keyId, algorithm: "Ed25519", public_key_pem: signer.publicKeyPem() }],
  }, { "cache-control": "public, max-age=300" }));
}));
