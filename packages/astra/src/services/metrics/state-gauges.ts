import { Counter, Gauge, type Registry } from 'prom-client';
import type { ActorStats } from '../../kernel/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import type { Guard } from './collect-errors.js';
import { heartbeatAges, pendingApprovals, readyQueueDepth, workerCounts } from './state-store.js';

/**
 * Figures read on scrape where they live, so nothing is counted on the hot path: the kernel's
 * tables (ready queue per shard, workers, heartbeat ages, pending approvals), the agents' actor
 * system, and whether each backend answers. Which ones a node has depends on its roles (the
 * composition root decides): the scheduler reports the queue, the worker manager the workers, the
 * gateway the actors and approvals; every role reports its backends.
 */

/** A counter whose value is read from `read()` on each scrape (a running total kept elsewhere). */
function readCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

export interface KernelStateParts {
  readonly queue: boolean;
  readonly workers: boolean;
  readonly approvals: boolean;
}

export function kernelStateGauges(
  registry: Registry,
  deps: {
    readonly db: SqlExecutor;
    readonly clock: Clock;
    readonly guard: Guard;
    readonly parts: KernelStateParts;
    /** Every shard gets a series (0 when empty), so an alert tells an empty shard from a missing one. */
    readonly shardCount: number;
  },
): void {
  const { db, clock, guard, parts, shardCount } = deps;
  const registers = [registry];
  if (parts.queue)
    new Gauge({
      name: 'astra_scheduler_ready_queue_depth',
      help: 'Tasks ready to run and not yet running (queued, or pending with their backoff passed), by shard.',
      labelNames: ['shard'],
      registers,
      async collect() {
        this.reset();
        await guard('ready_queue', async () => {
          for (let shard = 0; shard < shardCount; shard++) this.set({ shard: String(shard) }, 0);
          for (const { shard, depth } of await readyQueueDepth(db, clock.now()))
            this.set({ shard: String(shard) }, depth);
        });
      },
    });
  if (parts.workers) {
    new Gauge({
      name: 'astra_workers',
      help: 'Worker rows by status (active, draining, offline).',
      labelNames: ['status'],
      registers,
      async collect() {
        this.reset();
        await guard('workers', async () => {
          for (const status of ['active', 'draining', 'offline']) this.set({ status }, 0);
          for (const { status, n } of await workerCounts(db)) this.set({ status }, n);
        });
      },
    });
    new Gauge({
      name: 'astra_worker_heartbeat_age_seconds',
      help: "Seconds since each live worker's last heartbeat (the worker manager declares it dead past its deadline).",
      labelNames: ['worker_id'],
      registers,
      async collect() {
        this.reset();
        await guard('heartbeat_ages', async () => {
          for (const { workerId, age } of await heartbeatAges(db, clock.now()))
            this.set({ worker_id: workerId }, age);
        });
      },
    });
  }
  if (parts.approvals)
    new Gauge({
      name: 'astra_approvals_pending',
      help: 'Approval requests waiting for votes, by request type (plan, risky_task).',
      labelNames: ['request_type'],
      registers,
      async collect() {
        this.reset();
        await guard('approvals', async () => {
          for (const request_type of ['plan', 'risky_task']) this.set({ request_type }, 0);
          for (const { requestType, n } of await pendingApprovals(db))
            this.set({ request_type: requestType }, n);
        });
      },
    });
}

/** The agents' actor system: upstream's `astra_actor_count`, activity and mailbox refusals. */
export function actorGauges(registry: Registry, stats: () => ActorStats): void {
  const registers = [registry];
  new Gauge({
    name: 'astra_actor_count',
    help: 'Agent actors registered in this gateway.',
    registers,
    collect() {
      this.set(stats().actors);
    },
  });
  new Gauge({
    name: 'astra_actors_active',
    help: 'Agent actors holding work now (queued, running, starting or backing off).',
    registers,
    collect() {
      this.set(stats().active);
    },
  });
  readCounter(
    registry,
    'astra_actor_mailbox_rejections_total',
    'Messages refused because an actor mailbox was full (goal submissions answered 503).',
    () => stats().rejected,
  );
  readCounter(
    registry,
    'astra_actor_messages_processed_total',
    'Actor messages handled.',
    () => stats().processed,
  );
  readCounter(
    registry,
    'astra_actor_restarts_total',
    'Actor restarts by their supervisor.',
    () => stats().restarts,
  );
}

export interface BackendCheck {
  /** `sql`, `bus`, `cache`. */
  readonly name: string;
  check(): Promise<void>;
}

/** 1 when the backend answered its readiness probe within `timeoutMs` on this scrape, else 0. */
export function backendGauges(registry: Registry, checks: readonly BackendCheck[], timeoutMs: number): void {
  new Gauge({
    name: 'astra_backend_up',
    help: 'Whether each backend (sql: Postgres or PGlite, bus: Redis Streams or in-process, cache) answered a probe on this scrape.',
    labelNames: ['backend'],
    registers: [registry],
    async collect() {
      const results = await Promise.all(
        checks.map(async ({ name, check }) => [name, await probe(check, timeoutMs)] as const),
      );
      for (const [backend, up] of results) this.set({ backend }, up ? 1 : 0);
    },
  });
}

async function probe(check: () => Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([check().then(() => true as const), deadline]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
