import { createSecretRedactor, type SecretRedactor } from './secret-redactor.js';
import type { SecretStore, SecretValue } from './secrets.js';

/**
 * The secrets one tool run receives: each read once from the store, handed to the sandbox as a
 * read-only file of that run (`secrets/<name>`, the value exactly, no newline added), and given to
 * the run's redactor together with any values the run's egress grant injects (which the sandbox
 * never sees, but an upstream may echo back).
 */
export interface RunSecretFile {
  /** Path relative to the run's file root. */
  readonly path: string;
  readonly content: string;
  readonly name: string;
  readonly version: number;
}

export interface RunSecrets {
  readonly files: readonly RunSecretFile[];
  readonly redactor: SecretRedactor;
}

export async function loadRunSecrets(
  store: SecretStore,
  request: {
    readonly names: readonly string[];
    readonly injected?: readonly { name: string; value: string }[];
  },
): Promise<RunSecrets> {
  const values: SecretValue[] = [];
  for (const name of [...new Set(request.names)]) values.push(await store.get(name));
  return {
    files: values.map((secret) => ({
      path: `secrets/${secret.name}`,
      content: secret.value,
      name: secret.name,
      version: secret.version,
    })),
    redactor: createSecretRedactor([...values, ...(request.injected ?? [])]),
  };
}
