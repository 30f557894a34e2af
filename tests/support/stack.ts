// What `npm test` hands the vitest run: the throwaway stack's addresses and keys.
import postgres from "postgres";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through \`npm test\`, which starts the stack they need`);
  return value;
}

export const testStack = {
  get dbUrl() { return required("EVIDENT_TEST_DB_URL"); },
  get apiUrl() { return required("EVIDENT_TEST_API_URL"); },
  get anonKey() { return required("EVIDENT_TEST_ANON_KEY"); },
  get serviceRoleKey() { return required("EVIDENT_TEST_SERVICE_ROLE_KEY"); },
  /** The new API keys (sb_publishable_…, sb_secret_…), sent in the apikey header. */
  get publishableKey() { return required("EVIDENT_TEST_PUBLISHABLE_KEY"); },
  get secretKey() { return required("EVIDENT_TEST_SECRET_KEY"); },
  get jwtSecret() { return required("EVIDENT_TEST_JWT_SECRET"); },
  get signingKeys() { return required("EVIDENT_TEST_AUDIT_SIGNING_KEYS"); },
  get activeKeyId() { return required("EVIDENT_TEST_AUDIT_ACTIVE_KEY_ID"); },
  get exportSigningKey() { return required("EVIDENT_TEST_AUDIT_EXPORT_SIGNING_KEY"); },
  /** An export key rotated out before the run: the functions hold only its public half. */
  get retiredExportSigningKey() { return required("EVIDENT_TEST_RETIRED_EXPORT_SIGNING_KEY"); },
  get retiredPublicKeysForFunctions() { return required("EVIDENT_TEST_AUDIT_EXPORT_RETIRED_PUBLIC_KEYS"); },
  get piiCommitmentKey() { return required("EVIDENT_TEST_AUDIT_PII_COMMITMENT_KEY"); },
  /** Where the functions expect the test Transparency Database (tests/support/tdb-server.ts), and its token. */
  get tdbUrl() { return required("EVIDENT_TEST_DSA_TDB_URL"); },
  get tdbToken() { return required("EVIDENT_TEST_DSA_TDB_TOKEN"); },
};

export function functionUrl(name: string, query: Record<string, string> = {}): string {
  const url = new URL(`/functions/v1/${name}`, testStack.apiUrl);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.toString();
}

/** A superuser connection to the test database, for arranging and inspecting state. */
export function adminSql(options: postgres.Options<Record<string, postgres.PostgresType>> = {}) {
  return postgres(testStack.dbUrl, { max: 4, onnotice: () => {}, ...options });
}
