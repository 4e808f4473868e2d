import { readFile } from 'node:fs/promises';
import type { SecretEnvEntry } from '../../config/index.js';
import { AstraError } from '../../errors/index.js';
import type { SecretStore } from '../../ports/secrets.js';
import { checkSecretRequest, secretNotFound } from './request-checks.js';

/**
 * The embedded secret store: what `ASTRA_SECRET_<NAME>` and `ASTRA_SECRET_<NAME>_FILE` give
 * (config/secret-env.ts). Each secret has one version, 1. A file is read at every `get`, so a
 * rotated file (a mounted Kubernetes secret) is seen at once; one that cannot be read, or is
 * empty, is ASTRA_SECRETS_UNAVAILABLE naming the variable and the path, never the content.
 */
export function createEnvSecretStore(options: { readonly entries: readonly SecretEnvEntry[] }): SecretStore {
  const entries = new Map(options.entries.map((entry) => [entry.name, entry]));
  return {
    async get(name, getOptions) {
      checkSecretRequest(name, getOptions);
      const entry = entries.get(name);
      const version = getOptions?.version;
      if (entry === undefined || (version !== undefined && version !== 1))
        throw secretNotFound(name, version);
      if ('value' in entry) return { name, version: 1, value: entry.value.reveal() };
      let content: string;
      try {
        content = await readFile(entry.file, 'utf8');
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
        throw new AstraError(
          'ASTRA_SECRETS_UNAVAILABLE',
          `cannot read ${entry.file} (${entry.env}): ${code}`,
          {
            details: { name, env: entry.env, file: entry.file },
            cause,
          },
        );
      }
      const value = content.replace(/\r?\n$/, '');
      if (value === '')
        throw new AstraError('ASTRA_SECRETS_UNAVAILABLE', `${entry.file} (${entry.env}) is empty`, {
          details: { name, env: entry.env, file: entry.file },
        });
      return { name, version: 1, value };
    },
    async list() {
      return [...entries.keys()].sort().map((name) => ({ name, version: 1 }));
    },
    async close() {},
  };
}
