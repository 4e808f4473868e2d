import { int, resultRow, tableRow, text, timestamp } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/**
 * Shard leases: which scheduler instance sweeps which shard.
 *
 * Each round an instance (1) renews its presence row and the leases it holds, (2) counts the live
 * instances, (3) takes free or expired shards up to its fair share ⌈shards / instances⌉, and (4)
 * releases shards above that share so a newcomer can take them. Taking a shard is a conditional
 * upsert on the shard's row (`WHERE expires_at < now`), so two instances never hold one shard;
 * a dead instance stops renewing and its shards are free once its leases expire (ttlMs).
 */
export const shardLeaseRow = tableRow('shard_leases', { shard: int, owner: text, expiresAt: timestamp });
const leasedShard = shardLeaseRow.pick('shard');
const leaseOwner = shardLeaseRow.pick('shard', 'owner');
const liveInstances = resultRow('scheduler_instances count', { n: int });

export async function balanceShards(
  db: SqlExecutor,
  input: { owner: string; shardCount: number; now: Date; ttlMs: number },
): Promise<number[]> {
  const { owner, shardCount, now } = input;
  const expires = new Date(now.getTime() + input.ttlMs);
  await db.query(
    `INSERT INTO scheduler_instances (owner, expires_at) VALUES ($1, $2)
     ON CONFLICT (owner) DO UPDATE SET expires_at = $2`,
    [owner, expires],
  );
  const renewed = await db.query(
    `UPDATE shard_leases SET expires_at = $2 WHERE owner = $1 AND shard < $3 RETURNING shard`,
    [owner, expires, shardCount],
  );
  const owned = renewed.rows.map((row) => leasedShard.decode(row).shard);
  const live = await db.query(`SELECT count(*)::int AS n FROM scheduler_instances WHERE expires_at > $1`, [
    now,
  ]);
  const fairShare = Math.ceil(shardCount / Math.max(1, liveInstances.first(live.rows)?.n ?? 1));
  if (owned.length < fairShare) {
    const taken = await db.query(
      `WITH free AS (
         SELECT s AS shard FROM generate_series(0, $4::int - 1) s
         WHERE NOT EXISTS (SELECT 1 FROM shard_leases l WHERE l.shard = s AND l.expires_at > $3)
         ORDER BY s LIMIT $5
       )
       INSERT INTO shard_leases (shard, owner, expires_at) SELECT shard, $1, $2 FROM free
       ON CONFLICT (shard) DO UPDATE SET owner = $1, expires_at = $2 WHERE shard_leases.expires_at <= $3
       RETURNING shard`,
      [owner, expires, now, shardCount, fairShare - owned.length],
    );
    owned.push(...taken.rows.map((row) => leasedShard.decode(row).shard));
  } else if (owned.length > fairShare) {
    const extra = owned.sort((a, b) => a - b).splice(fairShare);
    await db.query(`DELETE FROM shard_leases WHERE owner = $1 AND shard = ANY($2::int[])`, [owner, extra]);
  }
  return owned.sort((a, b) => a - b);
}

export async function releaseShards(db: SqlExecutor, owner: string): Promise<void> {
  await db.query(`DELETE FROM shard_leases WHERE owner = $1`, [owner]);
  await db.query(`DELETE FROM scheduler_instances WHERE owner = $1`, [owner]);
}

export async function shardOwners(db: SqlExecutor, now: Date): Promise<Map<number, string>> {
  const { rows } = await db.query(`SELECT shard, owner FROM shard_leases WHERE expires_at > $1`, [now]);
  return new Map(rows.map(leaseOwner.decode).map((lease) => [lease.shard, lease.owner]));
}
