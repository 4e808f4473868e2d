import { afterEach, describe, expect, it } from 'vitest';
import { createLruCache, type LruCache } from '../../src/adapters/cache/lru-cache.js';
import { createMemoryInvalidationHub } from '../../src/adapters/cache/memory-invalidation.js';
import { createTwoTierCache, type TwoTierCache } from '../../src/adapters/cache/two-tier-cache.js';
import type { AstraError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { expectCode } from './cache.suite.js';
import { FaultyChannel, GatedCache } from './cache-test-doubles.js';

/**
 * Two processes' worth of two-tier caches in one test, server-free: a shared LRU plays the
 * remote tier, a memory hub the channel, and test doubles open the race windows on demand.
 */
interface Pair {
  readonly clock: ManualClock;
  readonly shared: LruCache;
  readonly remoteA: GatedCache;
  readonly channelA: FaultyChannel;
  readonly a: TwoTierCache;
  readonly b: TwoTierCache;
  readonly publishErrors: AstraError[];
}

const CAP_MS = 1_000;
const pairs: Pair[] = [];

async function makePair(): Promise<Pair> {
  const clock = new ManualClock();
  const shared = createLruCache({ clock, maxEntries: 1000, defaultTtlMs: 60_000 });
  const hub = createMemoryInvalidationHub();
  const remoteA = new GatedCache(shared);
  const channelA = new FaultyChannel(hub.createChannel());
  const publishErrors: AstraError[] = [];
  const a = await createTwoTierCache({
    local: createLruCache({ clock, maxEntries: 100 }),
    remote: remoteA,
    channel: channelA,
    localTtlCapMs: CAP_MS,
    onPublishError: (error) => publishErrors.push(error),
  });
  const b = await createTwoTierCache({
    local: createLruCache({ clock, maxEntries: 100 }),
    remote: new GatedCache(shared),
    channel: hub.createChannel(),
    localTtlCapMs: CAP_MS,
  });
  const pair = { clock, shared, remoteA, channelA, a, b, publishErrors };
  pairs.push(pair);
  return pair;
}

afterEach(async () => {
  await Promise.all(pairs.splice(0).flatMap((pair) => [pair.a.close(), pair.b.close()]));
});

describe('two-tier cache races and failures', () => {
  it('answers repeated reads from the local tier', async () => {
    const { shared, remoteA, a } = await makePair();
    await shared.set('k', 'v');
    expect(await a.get('k')).toBe('v');
    expect(await a.get('k')).toBe('v');
    expect(await a.getMany(['k'])).toEqual(new Map([['k', 'v']]));
    expect(remoteA.reads).toBe(1);
  });

  it('does not store a remote read that an invalidation overtook (stale fill)', async () => {
    const { shared, remoteA, a, b } = await makePair();
    await shared.set('k', 'old');
    const hold = remoteA.holdNextGet();
    const slowRead = a.get('k');
    await hold.reached; // a has read 'old' from the remote tier and not yet filled its local tier
    await b.set('k', 'new'); // the invalidation reaches a now, while a's read is in flight
    hold.release();
    expect(await slowRead).toBe('old'); // the value as of the read; it must not be kept
    const readsBefore = remoteA.reads;
    expect(await a.get('k')).toBe('new');
    expect(remoteA.reads).toBe(readsBefore + 1);
  });

  it('does not keep its own write locally when another writer overtook it', async () => {
    const { remoteA, a, b } = await makePair();
    const hold = remoteA.holdNextSet();
    const slowWrite = a.set('k', 'from-a');
    await hold.reached; // a's value is in the remote tier; a has not updated its local tier yet
    await b.set('k', 'from-b'); // overwrites the remote tier and invalidates a
    hold.release();
    await slowWrite;
    expect(await a.get('k')).toBe('from-b');
  });

  it('fills again once an uninterrupted read completes', async () => {
    const { shared, remoteA, a } = await makePair();
    await shared.set('k', 'v');
    const hold = remoteA.holdNextGet();
    const read = a.get('k');
    await hold.reached;
    hold.release();
    expect(await read).toBe('v');
    expect(await a.get('k')).toBe('v');
    expect(remoteA.reads).toBe(1);
  });

  it('when invalidations are lost, serves the old value for at most the local TTL cap', async () => {
    const { clock, channelA, a, b } = await makePair();
    await a.set('k', 'v1');
    expect(await b.get('k')).toBe('v1');
    channelA.mode = 'lose';
    await a.set('k', 'v2');
    expect(await a.get('k')).toBe('v2');
    expect(await b.get('k')).toBe('v1'); // stale: the invalidation never came
    await clock.advance(CAP_MS + 1);
    expect(await b.get('k')).toBe('v2');
  });

  it('reports a failed publish without failing the write', async () => {
    const { channelA, a, b, publishErrors } = await makePair();
    channelA.mode = 'fail';
    await a.set('k', 'v');
    expect(await b.get('k')).toBe('v');
    expect(publishErrors.map((error) => error.code)).toEqual(['ASTRA_CACHE_UNAVAILABLE']);
  });

  it('drops the whole local tier when the channel reports a gap', async () => {
    const { shared, remoteA, channelA, a } = await makePair();
    await shared.set('k1', 'v1');
    await shared.set('k2', 'v2');
    await a.getMany(['k1', 'k2']);
    await shared.set('k1', 'changed-while-deaf');
    channelA.reportGap();
    const readsBefore = remoteA.reads;
    expect(await a.get('k1')).toBe('changed-while-deaf');
    expect(await a.get('k2')).toBe('v2');
    expect(remoteA.reads).toBe(readsBefore + 2);
  });

  it('drops its local copy when a remote write fails, since it may have been applied', async () => {
    const { shared, remoteA, a } = await makePair();
    await a.set('k', 'v1');
    await shared.set('k', 'changed-underneath');
    expect(await a.get('k')).toBe('v1');
    remoteA.failNextWrite();
    await expectCode(a.set('k', 'v2'), 'ASTRA_CACHE_UNAVAILABLE');
    expect(await a.get('k')).toBe('changed-underneath');
  });

  it('caps the local TTL of fills and of writes at localTtlCapMs', async () => {
    const { clock, shared, remoteA, a } = await makePair();
    await a.set('written', 'w', { ttlMs: 60_000 });
    await shared.set('filled', 'f');
    await a.get('filled');
    const readsBefore = remoteA.reads;
    await clock.advance(CAP_MS + 1);
    expect(await a.get('written')).toBe('w');
    expect(await a.get('filled')).toBe('f');
    expect(remoteA.reads).toBe(readsBefore + 2);
  });

  it('rejects an unusable localTtlCapMs with ASTRA_CONFIG_INVALID', async () => {
    const hub = createMemoryInvalidationHub();
    await expectCode(
      createTwoTierCache({
        local: createLruCache(),
        remote: createLruCache(),
        channel: hub.createChannel(),
        localTtlCapMs: 0,
      }),
      'ASTRA_CONFIG_INVALID',
    );
  });
});
