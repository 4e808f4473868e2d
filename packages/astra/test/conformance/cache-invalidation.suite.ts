import { afterEach, describe, expect, it } from 'vitest';
import type { InvalidationChannel } from '../../src/ports/cache.js';
import { expectCode } from './cache.suite.js';

/**
 * Conformance suite for invalidation channels. `connect` returns a new channel instance on a bus
 * shared by every instance of one harness (a hub, or a Redis channel name unique to the test).
 * Tests wait for deliveries; "never delivered" is shown by ordering: a later message from another
 * instance arrives after the earlier one would have.
 */
export interface InvalidationHarness {
  connect(): Promise<InvalidationChannel>;
  dispose(): Promise<void>;
}

/** Resolves with the next batch the channel delivers to a new subscription. */
export async function nextBatch(channel: InvalidationChannel): Promise<readonly string[]> {
  let unsubscribe: (() => Promise<void>) | undefined;
  const batch = await new Promise<readonly string[]>((resolve) => {
    void channel.subscribe(resolve).then((stop) => {
      unsubscribe = stop;
    });
  });
  await unsubscribe?.();
  return batch;
}

export function describeInvalidationConformance(
  name: string,
  factory: () => Promise<InvalidationHarness>,
): void {
  describe(`invalidation channel conformance: ${name}`, () => {
    const harnesses: InvalidationHarness[] = [];
    const make = async (): Promise<InvalidationHarness> => {
      const harness = await factory();
      harnesses.push(harness);
      return harness;
    };
    afterEach(async () => {
      await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
    });

    it('delivers a batch to every other instance and never to its publisher', async () => {
      const h = await make();
      const [a, b, c] = [await h.connect(), await h.connect(), await h.connect()];
      const heardByA: (readonly string[])[] = [];
      await a.subscribe((keys) => heardByA.push(keys));
      const atB = nextBatch(b);
      const atC = nextBatch(c);
      await a.publish(['k1', 'k2', 'k1']);
      expect([...(await atB)].sort()).toEqual(['k1', 'k2']);
      expect([...(await atC)].sort()).toEqual(['k1', 'k2']);
      const laterAtA = nextBatch(a);
      await b.publish(['from-b']);
      expect(await laterAtA).toEqual(['from-b']);
      expect(heardByA).toEqual([['from-b']]);
    });

    it('stops delivering to a handler once it unsubscribes', async () => {
      const h = await make();
      const [a, b] = [await h.connect(), await h.connect()];
      const heard: (readonly string[])[] = [];
      const unsubscribe = await b.subscribe((keys) => heard.push(keys));
      const first = nextBatch(b);
      await a.publish(['one']);
      await first;
      await unsubscribe();
      const second = nextBatch(b);
      await a.publish(['two']);
      expect(await second).toEqual(['two']);
      expect(heard).toEqual([['one']]);
    });

    it('keeps delivering to other handlers when one throws', async () => {
      const h = await make();
      const [a, b] = [await h.connect(), await h.connect()];
      await b.subscribe(() => {
        throw new Error('subscriber bug');
      });
      const delivered = nextBatch(b);
      await a.publish(['k']);
      expect(await delivered).toEqual(['k']);
    });

    it('rejects invalid keys and ignores an empty batch', async () => {
      const h = await make();
      const a = await h.connect();
      await expectCode(a.publish(['bad key']), 'ASTRA_CACHE_INVALID_KEY');
      await a.publish([]);
    });

    it('fails with ASTRA_CACHE_CLOSED after close, which may be repeated', async () => {
      const h = await make();
      const a = await h.connect();
      await a.close();
      await a.close();
      await expectCode(a.publish(['k']), 'ASTRA_CACHE_CLOSED');
      await expectCode(
        a.subscribe(() => undefined),
        'ASTRA_CACHE_CLOSED',
      );
    });
  });
}
