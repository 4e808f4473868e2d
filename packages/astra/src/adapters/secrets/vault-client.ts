import { AstraError } from '../../errors/index.js';

/**
 * One Vault HTTP API call: `X-Vault-Token` (and `X-Vault-Namespace`) on every request, a timeout,
 * and Vault's status codes turned into the secret port's errors. 200 and 204 return the JSON body;
 * 404 is returned too (a missing secret or an empty folder is the caller's to read); 403 is
 * ASTRA_SECRETS_FORBIDDEN; any other status, an unreachable Vault or a body that is not a JSON
 * object is ASTRA_SECRETS_UNAVAILABLE.
 */
export interface VaultAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export type VaultRequest = (method: 'GET' | 'POST', path: string, body?: unknown) => Promise<VaultAnswer>;

export function unavailable(path: string, reason: string, cause?: unknown): AstraError {
  return new AstraError('ASTRA_SECRETS_UNAVAILABLE', `vault ${path}: ${reason}`, {
    details: { path },
    ...(cause === undefined ? {} : { cause }),
  });
}

export function object(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

export function vaultClient(options: {
  readonly address: string;
  readonly token: string;
  readonly namespace?: string;
  readonly timeoutMs: number;
}): VaultRequest {
  const base = options.address.replace(/\/+$/, '');
  return async (method, path, body) => {
    let response: Response;
    try {
      response = await fetch(`${base}/v1/${path}`, {
        method,
        headers: {
          'x-vault-token': options.token,
          ...(options.namespace === undefined ? {} : { 'x-vault-namespace': options.namespace }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (cause) {
      throw unavailable(path.split('?')[0] ?? path, 'unreachable', cause);
    }
    const text = await response.text().catch(() => '');
    const parsed = object(
      (() => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return null;
        }
      })(),
    );
    const where = path.split('?')[0] ?? path;
    if (response.status === 403)
      throw new AstraError('ASTRA_SECRETS_FORBIDDEN', `vault refused the token for ${where}`, {
        details: { path: where },
      });
    if (response.status !== 200 && response.status !== 204 && response.status !== 404)
      throw unavailable(where, `answered ${response.status}`);
    if (parsed === null && response.status === 200)
      throw unavailable(where, 'answered a body that is not a JSON object');
    return { status: response.status, body: parsed ?? {} };
  };
}
