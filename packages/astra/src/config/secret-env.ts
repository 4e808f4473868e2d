import { AstraError } from '../errors/index.js';
import { Secret } from './secret.js';

/**
 * Secrets for tool runs given in the environment (the env/file secret store of embedded mode):
 * `ASTRA_SECRET_<NAME>=value`, or `ASTRA_SECRET_<NAME>_FILE=/path` naming a file that holds it, as
 * the secret settings' `<ENV>_FILE` forms do (settings.ts): the whole file less one trailing
 * newline, read when the secret is asked for, so a rotated mounted file is seen without a restart.
 * `<NAME>` is the secret's name in upper case (`ASTRA_SECRET_GITHUB_TOKEN` is `github_token`);
 * a name therefore never ends in `_file`. Empty values count as unset; both forms for one name, or
 * a malformed `<NAME>`, are ASTRA_CONFIG_INVALID naming the variable, never its value.
 */
export const SECRET_ENV_PREFIX = 'ASTRA_SECRET_';
const NAME = /^[A-Z][A-Z0-9_]{0,127}$/;

export type SecretEnvEntry =
  | { readonly name: string; readonly env: string; readonly value: Secret }
  | { readonly name: string; readonly env: string; readonly file: string };

export function collectSecretEnv(
  env: Readonly<Record<string, string | undefined>>,
): readonly SecretEnvEntry[] {
  const byName = new Map<string, SecretEnvEntry>();
  for (const [variable, raw] of Object.entries(env)) {
    if (!variable.startsWith(SECRET_ENV_PREFIX) || raw === undefined || raw.trim() === '') continue;
    const isFile = variable.endsWith('_FILE');
    const upper = variable.slice(SECRET_ENV_PREFIX.length, isFile ? -'_FILE'.length : undefined);
    if (!NAME.test(upper))
      throw new AstraError(
        'ASTRA_CONFIG_INVALID',
        `${variable}: a secret's name is upper-case letters, digits and _ after ${SECRET_ENV_PREFIX}, starting with a letter`,
        { details: { env: variable } },
      );
    const name = upper.toLowerCase();
    const other = byName.get(name);
    if (other !== undefined)
      throw new AstraError(
        'ASTRA_CONFIG_INVALID',
        `give ${other.env} or ${variable} for secret ${name}, not both`,
        {
          details: { env: variable, secret: name },
        },
      );
    byName.set(
      name,
      isFile ? { name, env: variable, file: raw } : { name, env: variable, value: new Secret(raw) },
    );
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}
