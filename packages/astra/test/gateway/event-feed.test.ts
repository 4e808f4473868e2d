import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlExecutor, SqlStore } from '../../src/ports/sql-store.js';
import { EventFeed, type StreamEvent, type Subscription } from '../../src/services/events/event-feed.js';
import { systemClock } from '../../src/time/clock.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore, type TestPostgresStore } from '../support/sql.js';
import { deferred } from '../support/waiting.js';

/**
 * The event tail's ordering promise on real Postgres, where transactions commit out of id order:
 * an event whose id is below one already committed is still delivered, in id order, once its
 * transaction commits; a rolled-back id is skipped once no transaction can still hold it. And a
 * subscriber that does not read is ended, not buffered without bound.
 */
const usePostgres = testServices().postgresUrl !== null;

describe.skipIf(!usePostgres)('event feed', () => {
  let database: TestPostgresStore;
  let polls = 0;
  let pollWaiters: { at: number; resolve: () => void }[] = [];
  let feed: EventFeed;

  /** Counts the tail's reads, so a test can wait for "several more reads" instead of for time. */
  const counting = (store: SqlStore): SqlExecutor => ({
    query: async (text, params) => {
      const result = await store.query(text, params);
      if (text.includes('pg_current_snapshot')) {
        polls++;
        for (const waiter of pollWaiters.filter((w) => polls >= w.at)) waiter.resolve();
        pollWaiters = pollWaiters.filter((w) => polls < w.at);
      }
      return result as never;
    },
  });
  const morePolls = (n: number): Promise<void> =>
    new Promise((resolve) => pollWaiters.push({ at: polls + n, resolve }));

  beforeEach(async () => {
    database = await createTestPostgresStore({ maxConnections: 4 });
    feed = new EventFeed({
      store: counting(database.store),
      clock: systemClock,
      pollMs: 5,
      bufferSize: 3,
      gapGraceMs: 0,
    });
  });
  afterEach(async () => {
    feed.close();
    await database.drop();
  });

  const goal = randomUUID();
  const append = (db: SqlExecutor, type: string): Promise<unknown> =>
    db.query(`INSERT INTO events (event_type, goal_id) VALUES ($1, $2)`, [type, goal]);
  const take = async (subscription: Subscription, n: number): Promise<StreamEvent[]> => {
    const events: StreamEvent[] = [];
    while (events.length < n) {
      const event = await subscription.next();
      if (event === null) break;
      events.push(event);
    }
    return events;
  };

  it('holds a later id while an earlier one is uncommitted, then delivers both in id order', async () => {
    const subscription = await feed.subscribe({ filter: { goalId: goal }, mayView: () => true });
    const inserted = deferred();
    const release = deferred();
    const slow = database.store.transaction(async (tx) => {
      await append(tx, 'First');
      inserted.resolve();
      await release.promise;
    });
    await inserted.promise;
    await append(database.store, 'Second');
    await morePolls(3);
    // Nothing yet: "Second" is committed but "First", with the lower id, may still commit.
    const early = subscription.next();
    let delivered: StreamEvent | null | undefined;
    void early.then((event) => {
      delivered = event;
    });
    await morePolls(3);
    expect(delivered).toBeUndefined();
    release.resolve();
    await slow;
    const first = await early;
    const [second] = await take(subscription, 1);
    expect([first?.type, second?.type]).toEqual(['First', 'Second']);
    expect((second?.id ?? 0) - (first?.id ?? 0)).toBe(1);
    subscription.close();
  });

  it('skips an id whose transaction rolled back', async () => {
    const subscription = await feed.subscribe({ filter: { goalId: goal }, mayView: () => true });
    await database.store
      .transaction(async (tx) => {
        await append(tx, 'Lost');
        throw new Error('roll back');
      })
      .catch(() => undefined);
    await append(database.store, 'Kept');
    const [event] = await take(subscription, 1);
    expect(event?.type).toBe('Kept');
    subscription.close();
  });

  it('resumes after an id from the table, then continues live, each event once', async () => {
    for (const type of ['A', 'B', 'C']) await append(database.store, type);
    const { rows } = await database.store.query<{ id: string }>(
      `SELECT id FROM events WHERE goal_id = $1 ORDER BY id LIMIT 1`,
      [goal],
    );
    const subscription = await feed.subscribe({
      filter: { goalId: goal },
      mayView: () => true,
      afterId: Number(rows[0]?.id),
    });
    await append(database.store, 'D');
    expect((await take(subscription, 3)).map((e) => e.type)).toEqual(['B', 'C', 'D']);
    subscription.close();
  });

  it('ends a subscriber that falls more than its buffer behind', async () => {
    const slow = await feed.subscribe({ filter: { goalId: goal }, mayView: () => true });
    for (const type of ['A', 'B', 'C', 'D', 'E']) await append(database.store, type);
    expect(await slow.ended).toBe('overflow');
    expect(await slow.next()).toBeNull();
    expect(feed.subscriberCount).toBe(0);
  });

  it("passes each event through the caller's view predicate", async () => {
    const [hidden, visible] = [randomUUID(), randomUUID()];
    const asked: (string | null)[] = [];
    const subscription = await feed.subscribe({
      filter: { goalId: goal },
      mayView: async (agentId) => {
        asked.push(agentId);
        return agentId === visible;
      },
    });
    for (const agent of [hidden, visible])
      await database.store.query(`INSERT INTO events (event_type, actor_id, goal_id) VALUES ('X', $1, $2)`, [
        agent,
        goal,
      ]);
    expect((await take(subscription, 1))[0]?.agentId).toBe(visible);
    expect(asked).toEqual([hidden, visible]);
    subscription.close();
  });
});
