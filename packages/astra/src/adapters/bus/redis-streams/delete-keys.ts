import { Redis } from 'ioredis';

/**
 * Deletes every key under a prefix (SCAN + DEL in pages of 500): how benchmarks and tests leave a
 * shared Redis as they found it after using a key prefix of their own.
 */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<number> {
  if (prefix.length === 0) throw new Error('refusing to delete every key: give a prefix');
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
  } finally {
    redis.disconnect();
  }
  return deleted;
}
