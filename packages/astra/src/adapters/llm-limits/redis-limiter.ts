import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AstraError } from '../../errors/index.js';
import {
  type LimitDecision,
  type LimiterOptions,
  type LimitRequest,
  LLM_LIMITER_DEFAULTS,
  type LlmLimiter,
  limitPlan,
} from '../../ports/llm-limiter.js';
import type { Clock } from '../../time/clock.js';
import { closeRedis, connectRedis, type RedisConnectionOptions } from '../cache/redis-connection.js';
import { ACQUIRE_SCRIPT } from './acquire-script.js';
import { SETTLE_SCRIPT } from './settle-script.js';

/**
 * The LLM limiter shared by every process on one Redis: the rules of ports/llm-limiter.ts,
 * each step one Lua script (acquire-script.ts, settle-script.ts), so a check and its charge are
 * atomic however many processes race. Windows follow the injected clock of each process (they are
 * named by window number), so processes must agree on the time; in-flight slots expire after
 * `leaseMs` if their process dies. A Redis that cannot be reached rejects (the router then lets
 * the attempt through, logged).
 */
export interface RedisLimiterOptions extends LimiterOptions, RedisConnectionOptions {
  readonly clock: Clock;
  /** Prepended to every key, so deployments or tests can share one Redis. Default `astra:llm-limit:`. */
  readonly keyPrefix?: string;
}

interface LimitCommands {
  astraLlmAcquire(...args: (string | number)[]): Promise<[number, number?, number?, string?]>;
  astraLlmSettle(...args: (string | number)[]): Promise<number>;
}

export async function createRedisLimiter(options: RedisLimiterOptions): Promise<LlmLimiter> {
  let client: Redis;
  try {
    client = await connectRedis(options, 'llm-limits');
  } catch (error) {
    throw limiterUnavailable(error);
  }
  return redisLimiter(client, options);
}

function redisLimiter(client: Redis, options: RedisLimiterOptions): LlmLimiter {
  client.defineCommand('astraLlmAcquire', { lua: ACQUIRE_SCRIPT });
  client.defineCommand('astraLlmSettle', { lua: SETTLE_SCRIPT });
  // defineCommand adds methods ioredis cannot type; this view names the two it added.
  const commands = client as unknown as LimitCommands;
  const prefix = options.keyPrefix ?? 'astra:llm-limit:';
  const leaseMs = options.leaseMs ?? LLM_LIMITER_DEFAULTS.leaseMs;
  const inFlightRetryAfterMs = options.inFlightRetryAfterMs ?? LLM_LIMITER_DEFAULTS.inFlightRetryAfterMs;
  const unavailable = limiterUnavailable;

  return {
    async acquire(request: LimitRequest): Promise<LimitDecision> {
      const now = options.clock.now();
      const plan = limitPlan(options.limits, request, now);
      if (plan.length === 0) return { ok: true, lease: { settle: () => Promise.resolve() } };
      const id = randomUUID();
      const keys = plan.flatMap((limit) =>
        [limit.requestsKey, limit.tokensKey, limit.inFlightKey].map((k) => prefix + k),
      );
      const args = plan.flatMap((limit) => [
        limit.maxRequests ?? -1,
        limit.maxTokens ?? -1,
        limit.maxInFlight ?? -1,
        limit.windowEndMs,
        limit.windowMs,
      ]);
      let reply: Awaited<ReturnType<LimitCommands['astraLlmAcquire']>>;
      try {
        reply = await commands.astraLlmAcquire(
          keys.length,
          ...keys,
          now,
          id,
          now + leaseMs,
          request.tokens,
          inFlightRetryAfterMs,
          ...args,
        );
      } catch (error) {
        throw unavailable(error);
      }
      if (reply[0] !== 1) {
        const refused = plan[reply[2] ?? 0];
        return {
          ok: false,
          retryAfterMs: Number(reply[1]),
          limit: `${refused?.label ?? '?'} ${reply[3] ?? ''}`,
        };
      }
      let settled = false;
      return {
        ok: true,
        lease: {
          async settle(actualTokens) {
            if (settled) return;
            settled = true;
            const settleKeys = plan.flatMap((limit) => [
              prefix + limit.tokensKey,
              prefix + limit.inFlightKey,
            ]);
            try {
              await commands.astraLlmSettle(
                settleKeys.length,
                ...settleKeys,
                id,
                actualTokens - request.tokens,
              );
            } catch (error) {
              throw unavailable(error);
            }
          },
        },
      };
    },
    close: () => closeRedis(client),
  };
}

function limiterUnavailable(error: unknown): AstraError {
  return new AstraError('ASTRA_LLM_UNAVAILABLE', 'the LLM rate limiter cannot reach Redis', {
    details: { dependency: 'redis' },
    cause: error,
  });
}
