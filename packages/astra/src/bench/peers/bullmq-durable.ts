// BullMQ made durable the way its users do it: the same shapes as runBullmq, on a private
// redis-server with `appendonly yes` and `appendfsync everysec` (every write appended to a file,
// fsynced once a second), started for the run and removed after it. Figures are `bullmq_durable.*`.
import { startPrivateRedis } from '../private-redis.js';
import { runBullmq } from './bullmq.js';
import type { PeerConditions, PeerFigures, PeerLog } from './common.js';

export async function runBullmqDurable(
  c: Omit<PeerConditions, 'redisUrl'>,
  log: PeerLog,
): Promise<PeerFigures> {
  const redis = await startPrivateRedis({ durable: true });
  log(`bullmq_durable: private redis-server at ${redis.url} (${redis.persistence})`);
  try {
    return await runBullmq({ ...c, redisUrl: redis.url }, log, 'bullmq_durable');
  } finally {
    await redis.stop();
  }
}
