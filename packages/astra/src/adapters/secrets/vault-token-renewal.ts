import { AstraError, normalizeError } from '../../errors/index.js';
import type { Clock } from '../../time/clock.js';
import type { VaultRequest } from './vault-client.js';

/**
 * Keeps a Vault token alive: `lookup-self` once at start (a refused token fails the store's
 * creation with ASTRA_SECRETS_FORBIDDEN), then, for a renewable token with a TTL, `renew-self`
 * each time two thirds of the current TTL have passed. A failed renewal is reported and retried
 * (after half the time left, between 1 and 30 s) until the token would expire; a token that Vault
 * says is no longer renewable, or whose TTL fell under a second (its max TTL reached), is left
 * to expire. Root and other TTL-less tokens need none of this.
 */
export interface TokenRenewal {
  /** Renewals that succeeded so far. */
  readonly renewals: number;
  stop(): Promise<void>;
}

export interface TokenRenewalOptions {
  readonly request: VaultRequest;
  readonly clock: Clock;
  readonly incrementSec?: number;
  readonly onError?: (error: AstraError) => void;
}

const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

export async function startTokenRenewal(options: TokenRenewalOptions): Promise<TokenRenewal> {
  const { request, clock } = options;
  const lookup = await request('GET', 'auth/token/lookup-self');
  const data = record(lookup.body.data);
  if (lookup.status !== 200 || typeof data.ttl !== 'number')
    throw new AstraError('ASTRA_SECRETS_UNAVAILABLE', 'vault auth/token/lookup-self answered no data.ttl', {
      details: { path: 'auth/token/lookup-self' },
    });
  const controller = new AbortController();
  let renewals = 0;

  async function renewLoop(ttlSec: number): Promise<void> {
    let expiresAt = clock.now() + ttlSec * 1000;
    let waitMs = (ttlSec * 1000 * 2) / 3;
    for (;;) {
      try {
        await clock.sleep(waitMs, controller.signal);
      } catch {
        return;
      }
      try {
        const body = options.incrementSec === undefined ? {} : { increment: `${options.incrementSec}s` };
        const answer = await request('POST', 'auth/token/renew-self', body);
        const auth = record(answer.body.auth);
        const lease = auth.lease_duration;
        if (answer.status !== 200 || typeof lease !== 'number')
          throw new AstraError(
            'ASTRA_SECRETS_UNAVAILABLE',
            'vault auth/token/renew-self answered no auth.lease_duration',
            {
              details: { path: 'auth/token/renew-self' },
            },
          );
        renewals += 1;
        expiresAt = clock.now() + lease * 1000;
        if (auth.renewable === false || lease < 1) return;
        waitMs = (lease * 1000 * 2) / 3;
      } catch (error) {
        if (controller.signal.aborted) return;
        options.onError?.(normalizeError(error));
        const leftMs = expiresAt - clock.now();
        if (leftMs <= 0) return;
        waitMs = Math.max(RETRY_MIN_MS, Math.min(RETRY_MAX_MS, leftMs / 2));
      }
    }
  }

  const loop = data.renewable === true && data.ttl > 0 ? renewLoop(data.ttl) : Promise.resolve();
  return {
    get renewals() {
      return renewals;
    },
    async stop() {
      controller.abort();
      await loop;
    },
  };
}
