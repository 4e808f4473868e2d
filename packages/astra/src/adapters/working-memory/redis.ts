import type { WorkingMemory } from '../../ports/working-memory.js';
import { connectRedis, redisError } from '../cache/redis-connection.js';

/**
 * Working memory on Redis (single-node mode): one hash per agent, `{prefix}wm:{agentId}`; every
 * write is `HSET` + `PEXPIRE` in one MULTI, so the hash expires `ttlMs` after its last write.
 */
const ADAPTER = 'working-memory';

export async function createRedisWorkingMemory(options: {
  url: string;
  ttlMs: number;
  keyPrefix?: string;
}): Promise<WorkingMemory> {
  const client = await connectRedis({ url: options.url }, ADAPTER);
  const key = (agentId: string) => `${options.keyPrefix ?? ''}wm:${agentId}`;
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw redisError(ADAPTER, error);
    }
  };
  return {
    set: (agentId, field, value) =>
      run(async () => {
        await client.multi().hset(key(agentId), field, value).pexpire(key(agentId), options.ttlMs).exec();
      }),
    get: (agentId, field) => run(() => client.hget(key(agentId), field)),
    all: (agentId) => run(() => client.hgetall(key(agentId))),
    delete: (agentId, field) => run(async () => (await client.hdel(key(agentId), field)) > 0),
    clear: (agentId) =>
      run(async () => {
        await client.del(key(agentId));
      }),
    remainingMs: (agentId) =>
      run(async () => {
        const ms = await client.pttl(key(agentId));
        return ms < 0 ? null : ms;
      }),
    close: async () => {
      client.disconnect();
    },
  };
}
