import { eventRow } from '../../kernel/index.js';
import { bigintAsNumber, bigintAsString, resultRow } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { EVENT_COLUMNS, type LoggedEvent } from './event-store.js';

/**
 * The live event feed of one gateway process: ONE tail of the `events` table, fanned out to every
 * open stream (SSE or WebSocket), each with its own filter, view predicate and bounded queue.
 *
 * Why a tail: the kernel appends events in the same statements as its transitions and publishes
 * nothing per event, so the table is the only complete source; the SQL store port has no
 * LISTEN/NOTIFY (PGlite and the pool adapter would each need one). One indexed range read
 * (`id > cursor`) per `pollMs` per process — and only while at least one stream is open — costs
 * the same whether one client listens or a thousand.
 *
 * Order without gaps: ids come from an identity, but transactions commit out of id order, so a
 * row with a lower id can appear after a higher one was read. The tail therefore delivers only
 * the contiguous run after its cursor. At a hole it stops and notes the snapshot's xmax; the hole
 * is final (a rolled-back insert) once every transaction that was running then has ended (a later
 * snapshot's xmin ≥ that xmax) and `gapGraceMs` has passed, and a re-read still lacks it. So a
 * client resuming from `Last-Event-ID` gets every event after it exactly once.
 *
 * A subscriber that falls `bufferSize` events behind is ended ('overflow'), never allowed to
 * grow memory; it reconnects with its last id and catches up from the table.
 */
export type StreamEvent = LoggedEvent;

const lastEventId = resultRow('events', { max: bigintAsNumber });
/** The snapshot a tail read ran in: its xmin and xmax (xid8, as text). */
const snapshotOf = resultRow('event feed snapshot', { snapXmin: bigintAsString, snapXmax: bigintAsString });

export interface EventFilter {
  readonly goalId?: string;
  readonly agentId?: string;
}

export interface SubscribeOptions {
  readonly filter: EventFilter;
  /** Whether the caller may see events of this agent (null: events of no agent); asked per event. */
  readonly mayView: (agentId: string | null) => boolean | Promise<boolean>;
  /** Resume after this event id (`Last-Event-ID`); absent: from now on. */
  readonly afterId?: number;
}

export type EndReason = 'closed' | 'overflow' | 'shutdown';

export interface EventFeedOptions {
  readonly store: SqlExecutor;
  readonly clock: Clock;
  readonly pollMs: number;
  readonly bufferSize: number;
  readonly gapGraceMs?: number;
  readonly batchSize?: number;
  readonly onError?: (error: unknown) => void;
}

/** The wire form (snake_case) shared by SSE, WebSocket and the audit export. */
export function eventJson(event: StreamEvent): Record<string, unknown> {
  return {
    id: event.id,
    type: event.type,
    agent_id: event.agentId,
    goal_id: event.goalId,
    graph_id: event.graphId,
    task_id: event.taskId,
    payload: event.payload,
    created_at: event.createdAt,
  };
}

export class Subscription {
  readonly #feed: EventFeed;
  readonly #options: SubscribeOptions;
  readonly #bufferSize: number;
  readonly #live: StreamEvent[] = [];
  #page: StreamEvent[] = [];
  /** Catch-up still to read from the table: ids in (after, upTo]. */
  #catchUp: { after: number; readonly upTo: number } | null;
  #ended: EndReason | null = null;
  #wake: (() => void) | null = null;
  #onEnd: (reason: EndReason) => void = () => undefined;
  /** Resolves with the reason once the subscription ends. */
  readonly ended: Promise<EndReason> = new Promise((resolve) => {
    this.#onEnd = resolve;
  });

  constructor(feed: EventFeed, options: SubscribeOptions, upTo: number, bufferSize: number) {
    this.#feed = feed;
    this.#options = options;
    this.#bufferSize = bufferSize;
    const after = options.afterId;
    this.#catchUp = after !== undefined && after < upTo ? { after, upTo } : null;
  }

  get endReason(): EndReason | null {
    return this.#ended;
  }

  /** The next event for this subscriber; null once it has ended (see `endReason`). */
  async next(): Promise<StreamEvent | null> {
    for (;;) {
      if (this.#ended !== null) return null;
      const event = this.#page.shift() ?? (this.#catchUp === null ? this.#live.shift() : undefined);
      if (event !== undefined) {
        if (await this.#options.mayView(event.agentId)) return event;
        continue;
      }
      if (this.#catchUp !== null) {
        await this.#readPage(this.#catchUp);
        continue;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Ends the subscription; a pending `next` resolves with null. Idempotent. */
  close(reason: EndReason = 'closed'): void {
    if (this.#ended !== null) return;
    this.#ended = reason;
    this.#onEnd(reason);
    this.#feed.detach(this);
    this.#notify();
  }

  /** Called by the feed's tail, in id order. */
  offer(event: StreamEvent): void {
    if (this.#ended !== null || !this.#accepts(event)) return;
    if (this.#live.length >= this.#bufferSize) {
      this.close('overflow');
      return;
    }
    this.#live.push(event);
    this.#notify();
  }

  #accepts(event: StreamEvent): boolean {
    const { goalId, agentId } = this.#options.filter;
    if (goalId !== undefined && event.goalId !== goalId) return false;
    return agentId === undefined || event.agentId === agentId;
  }

  async #readPage(catchUp: { after: number; readonly upTo: number }): Promise<void> {
    const rows = await this.#feed.readRange(catchUp.after, catchUp.upTo, this.#options.filter);
    const last = rows.at(-1);
    if (last === undefined) this.#catchUp = null;
    else catchUp.after = last.id;
    this.#page = rows;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

export class EventFeed {
  readonly #options: EventFeedOptions;
  readonly #subscribers = new Set<Subscription>();
  /** Every id up to the cursor was delivered or is known never to commit; null while stopped. */
  #cursor: number | null = null;
  #starting: Promise<number> | null = null;
  #gap: { readonly ceiling: number; readonly xmax: bigint; readonly seenAt: number } | null = null;
  #stop: AbortController | null = null;
  #closed = false;

  constructor(options: EventFeedOptions) {
    this.#options = options;
  }

  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /** Opens a subscription; its live part starts at the tail's cursor, its catch-up at `afterId`. */
  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const cursor = await this.#start();
    const subscription = new Subscription(this, options, cursor, this.#options.bufferSize);
    if (this.#closed) subscription.close('shutdown');
    else this.#subscribers.add(subscription);
    return subscription;
  }

  detach(subscription: Subscription): void {
    this.#subscribers.delete(subscription);
    if (this.#subscribers.size === 0) this.#halt();
  }

  /** Ends every subscription (the server drains) and stops the tail. */
  close(): void {
    this.#closed = true;
    for (const subscription of [...this.#subscribers]) subscription.close('shutdown');
    this.#halt();
  }

  /** Events with ids in (after, upTo] matching the filter, oldest first, one page. */
  async readRange(after: number, upTo: number, filter: EventFilter): Promise<StreamEvent[]> {
    const { rows } = await this.#options.store.query(
      `SELECT ${EVENT_COLUMNS} FROM events e
       WHERE e.id > $1 AND e.id <= $2 AND ($3::uuid IS NULL OR e.goal_id = $3::uuid)
         AND ($4::uuid IS NULL OR e.actor_id = $4::uuid)
       ORDER BY e.id LIMIT $5`,
      [after, upTo, filter.goalId ?? null, filter.agentId ?? null, this.#options.batchSize ?? 500],
    );
    return rows.map(eventRow.decode);
  }

  #start(): Promise<number> {
    if (this.#cursor !== null) return Promise.resolve(this.#cursor);
    this.#starting ??= (async () => {
      try {
        const { rows } = await this.#options.store.query('SELECT coalesce(max(id), 0) AS max FROM events');
        const cursor = lastEventId.first(rows)?.max ?? 0;
        this.#cursor = cursor;
        this.#gap = null;
        const stop = new AbortController();
        this.#stop = stop;
        void this.#tail(stop.signal);
        return cursor;
      } finally {
        this.#starting = null;
      }
    })();
    return this.#starting;
  }

  #halt(): void {
    this.#stop?.abort();
    this.#stop = null;
    this.#cursor = null;
  }

  async #tail(signal: AbortSignal): Promise<void> {
    // A database that is down fails every read: report the first failure of a run, not each one.
    let failing = false;
    while (!signal.aborted) {
      let full = false;
      try {
        full = await this.#poll(signal);
        failing = false;
      } catch (error) {
        if (!failing) this.#options.onError?.(error);
        failing = true;
      }
      if (full || signal.aborted) continue;
      await this.#options.clock.sleep(this.#options.pollMs, signal).catch(() => undefined);
    }
  }

  /** One read after the cursor; true when the page was full (more may be waiting). */
  async #poll(signal: AbortSignal): Promise<boolean> {
    const cursor = this.#cursor;
    if (cursor === null) return false;
    const limit = this.#options.batchSize ?? 500;
    const { rows } = await this.#options.store.query(
      `SELECT pg_snapshot_xmin(s.snap)::text AS snap_xmin, pg_snapshot_xmax(s.snap)::text AS snap_xmax, ${EVENT_COLUMNS}
       FROM (SELECT pg_current_snapshot() AS snap) s
       LEFT JOIN LATERAL (SELECT * FROM events WHERE id > $1 ORDER BY id LIMIT $2) e ON true
       ORDER BY e.id`,
      [cursor, limit],
    );
    if (signal.aborted || this.#cursor !== cursor) return false;
    const first = rows[0];
    if (first === undefined) return false;
    const snapshot = snapshotOf.decode(first);
    const xmin = BigInt(snapshot.snapXmin);
    const xmax = BigInt(snapshot.snapXmax);
    const events = rows.filter((row) => row.id !== null).map(eventRow.decode);
    const now = this.#options.clock.now();
    let next = cursor;
    for (const event of events) {
      if (event.id !== next + 1) {
        const gap = this.#gap;
        const settled =
          gap !== null &&
          event.id - 1 <= gap.ceiling &&
          xmin >= gap.xmax &&
          now - gap.seenAt >= (this.#options.gapGraceMs ?? 1000);
        if (!settled) {
          if (gap === null || event.id - 1 > gap.ceiling)
            this.#gap = { ceiling: events.at(-1)?.id ?? event.id, xmax, seenAt: now };
          break;
        }
      }
      next = event.id;
      for (const subscription of [...this.#subscribers]) subscription.offer(event);
    }
    this.#cursor = next;
    if (this.#gap !== null && next >= this.#gap.ceiling) this.#gap = null;
    return events.length === limit && next > cursor;
  }
}
