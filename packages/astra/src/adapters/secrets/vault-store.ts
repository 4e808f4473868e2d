import { AstraError } from '../../errors/index.js';
import { SECRET_NAME, type SecretInfo, type SecretStore, type SecretValue } from '../../ports/secrets.js';
import { type Clock, systemClock } from '../../time/clock.js';
import { checkSecretRequest, secretNotFound } from './request-checks.js';
import { object, unavailable, vaultClient } from './vault-client.js';
import { VAULT_DEFAULTS } from './vault-defaults.js';
import { startTokenRenewal, type TokenRenewal } from './vault-token-renewal.js';

/**
 * HashiCorp Vault's KV version 2 over its HTTP API, with token auth.
 *
 * Secret `<name>` is the KV entry `<mount>/data/<pathPrefix>/<name>` (`secret/data/astra/github_token`
 * by default), its value the entry's string field `field` ("value"); versions are KV's. `list` reads
 * `<mount>/metadata/<pathPrefix>` and each entry's metadata (one request per name). The token comes
 * from VAULT_TOKEN, the address from VAULT_ADDR, the namespace (Vault Enterprise, HCP) from
 * VAULT_NAMESPACE, sent as X-Vault-Namespace. A renewable token with a TTL is renewed
 * (`/v1/auth/token/renew-self`) when two thirds of its TTL have passed (vault-token-renewal.ts).
 *
 * Vault answers map to the port's errors: 404 ASTRA_SECRET_NOT_FOUND (a deleted or destroyed
 * version too), 403 ASTRA_SECRETS_FORBIDDEN, anything else that is not 200 (a sealed Vault's 503,
 * 5xx, a timeout, a refused connection, a malformed body) ASTRA_SECRETS_UNAVAILABLE.
 */

export interface VaultSecretStoreOptions {
  /** VAULT_ADDR, e.g. `https://vault.internal:8200`. */
  readonly address: string;
  /** VAULT_TOKEN. */
  readonly token: string;
  /** VAULT_NAMESPACE. */
  readonly namespace?: string;
  readonly mount?: string;
  readonly pathPrefix?: string;
  readonly field?: string;
  readonly timeoutMs?: number;
  /** The TTL asked for on each renewal (seconds); Vault's default when absent. */
  readonly renewIncrementSec?: number;
  readonly clock?: Clock;
  /** Told when a renewal fails (it is retried until the token expires). */
  readonly onRenewalError?: (error: AstraError) => void;
}

// Slash-separated segments of letters, digits and `_ . -`, none of them `.` or `..`.
const PATH = /^(?!(?:.*\/)?\.\.?(?:\/|$))[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

function configInvalid(reason: string): AstraError {
  return new AstraError('ASTRA_CONFIG_INVALID', `vault: ${reason}`, { details: { reason } });
}

export async function createVaultSecretStore(options: VaultSecretStoreOptions): Promise<SecretStore> {
  const settings = { ...VAULT_DEFAULTS, ...options };
  if (!/^https?:\/\/[^/\s]+/.test(settings.address))
    throw configInvalid('VAULT_ADDR must be an http(s):// URL');
  if (typeof settings.token !== 'string' || settings.token === '')
    throw configInvalid('VAULT_TOKEN is empty');
  if (!PATH.test(settings.mount)) throw configInvalid(`mount "${settings.mount}" is not a path`);
  if (settings.pathPrefix !== '' && !PATH.test(settings.pathPrefix))
    throw configInvalid(`path prefix "${settings.pathPrefix}" is not a path`);
  const request = vaultClient(settings);
  const prefix = settings.pathPrefix === '' ? '' : `${settings.pathPrefix}/`;
  const renewal: TokenRenewal = await startTokenRenewal({
    request,
    clock: settings.clock ?? systemClock,
    ...(settings.renewIncrementSec === undefined ? {} : { incrementSec: settings.renewIncrementSec }),
    ...(settings.onRenewalError === undefined ? {} : { onError: settings.onRenewalError }),
  });

  async function get(name: string, getOptions?: { version?: number }): Promise<SecretValue> {
    checkSecretRequest(name, getOptions);
    const version = getOptions?.version;
    const query = version === undefined ? '' : `?version=${version}`;
    const answer = await request('GET', `${settings.mount}/data/${prefix}${name}${query}`);
    const data = object(answer.body.data);
    const metadata = object(data?.metadata);
    if (answer.status === 404) {
      const reason =
        metadata?.destroyed === true
          ? 'was destroyed'
          : typeof metadata?.deletion_time === 'string' && metadata.deletion_time !== ''
            ? 'was deleted'
            : undefined;
      throw secretNotFound(name, version, reason);
    }
    const fields = object(data?.data);
    const found = metadata?.version;
    if (fields === null || typeof found !== 'number')
      throw unavailable(`${settings.mount}/data`, 'answered no data.data');
    const value = fields[settings.field];
    if (typeof value !== 'string')
      throw secretNotFound(name, version, `has no string field "${settings.field}"`);
    return { name, version: found, value };
  }

  async function list(): Promise<readonly SecretInfo[]> {
    const folder = `${settings.mount}/metadata/${settings.pathPrefix}`;
    const answer = await request('GET', `${folder}?list=true`);
    if (answer.status === 404) return [];
    const keys = object(answer.body.data)?.keys;
    if (!Array.isArray(keys)) throw unavailable(folder, 'answered no data.keys');
    const names = keys
      .filter((key): key is string => typeof key === 'string' && SECRET_NAME.test(key))
      .sort();
    const out: SecretInfo[] = [];
    for (const name of names) {
      const meta = await request('GET', `${settings.mount}/metadata/${prefix}${name}`);
      const data = object(meta.body.data);
      const current = data?.current_version;
      const entry = object(object(data?.versions)?.[String(current)]);
      const live = entry !== null && entry.destroyed !== true && (entry.deletion_time ?? '') === '';
      if (meta.status === 200 && typeof current === 'number' && live) out.push({ name, version: current });
    }
    return out;
  }

  return { get, list, close: () => renewal.stop() };
}
