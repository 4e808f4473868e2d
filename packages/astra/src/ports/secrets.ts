/**
 * Secrets port: named secrets with versions, read by the host for a tool run and never stored
 * elsewhere.
 *
 * Glossary: a secret has a name (1-128 characters of lowercase letters, digits and `_`, starting
 * with a letter: `github_token`) and numbered versions (1, 2, …); the current version is the
 * newest that is not deleted. Adapters: environment and files for embedded mode
 * (`ASTRA_SECRET_<NAME>`, `ASTRA_SECRET_<NAME>_FILE`), HashiCorp Vault KV v2.
 *
 * Rules every adapter keeps (checked by test/secrets):
 * - `get(name)` returns the current version; `get(name, {version})` that version. A name, or a
 *   version, that does not exist or was deleted is ASTRA_SECRET_NOT_FOUND. A malformed name is
 *   ASTRA_VALIDATION_FAILED, before any I/O.
 * - `list()` returns every name with its current version, sorted by name, and never a value.
 * - A store that cannot be reached or read is ASTRA_SECRETS_UNAVAILABLE (retryable); one that
 *   refuses Astra's credentials is ASTRA_SECRETS_FORBIDDEN. No error message or detail ever holds
 *   a secret's value.
 * - Values reach a tool run only as files the sandbox mounts read-only for that run, and every
 *   value a run received goes to its redactor (`ports/secret-redactor.ts`) before the run's
 *   results, logs, events or errors leave it.
 */
export interface SecretValue {
  readonly name: string;
  readonly version: number;
  readonly value: string;
}

export interface SecretInfo {
  readonly name: string;
  readonly version: number;
}

export interface SecretGetOptions {
  readonly version?: number;
}

export interface SecretStore {
  get(name: string, options?: SecretGetOptions): Promise<SecretValue>;
  list(): Promise<readonly SecretInfo[]>;
  /** Stops background work (token renewal); idempotent. */
  close(): Promise<void>;
}

export const SECRET_NAME = /^[a-z][a-z0-9_]{0,127}$/;
