import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEnvSecretStore } from '../../src/adapters/secrets/index.js';
import { collectSecretEnv } from '../../src/config/index.js';
import { describeSecretsConformance } from './secrets.suite.js';

// Half the seeded secrets come as values, half as files, so both forms run the whole suite.
describeSecretsConformance(
  'env/file',
  async (seed) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'astra-secrets-'));
    const env: Record<string, string> = {};
    Object.entries(seed).forEach(([name, values], i) => {
      const value = values.at(-1) ?? '';
      const variable = `ASTRA_SECRET_${name.toUpperCase()}`;
      if (i % 2 === 0) env[variable] = value;
      else {
        const file = path.join(dir, name);
        writeFileSync(file, `${value}\n`, { mode: 0o600 });
        env[`${variable}_FILE`] = file;
      }
    });
    return {
      store: createEnvSecretStore({ entries: collectSecretEnv(env) }),
      dispose: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  { versions: false },
);
