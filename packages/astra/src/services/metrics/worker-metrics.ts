import { Counter, type Registry } from 'prom-client';

/**
 * Worker liveness as it happens: each heartbeat an executor writes (upstream's
 * `astra_worker_heartbeat_total`; `alive="false"` when it learned it had been declared dead), and
 * the workers the worker manager declared lost with the tasks it took back from them.
 */
export interface WorkerMetrics {
  heartbeat(alive: boolean): void;
  lost(workers: number, tasks: number): void;
}

export function workerMetrics(registry: Registry): WorkerMetrics {
  const registers = [registry];
  const beats = new Counter({
    name: 'astra_worker_heartbeat_total',
    help: "Heartbeats this node's executor wrote, by whether the worker was still alive.",
    labelNames: ['alive'],
    registers,
  });
  const lost = new Counter({
    name: 'astra_workers_lost_total',
    help: 'Workers the worker manager declared dead (no heartbeat within the deadline).',
    registers,
  });
  const released = new Counter({
    name: 'astra_worker_lost_tasks_total',
    help: 'Running tasks taken back from lost workers and queued again.',
    registers,
  });
  beats.inc({ alive: 'true' }, 0);
  lost.inc(0);
  released.inc(0);
  return {
    heartbeat: (alive) => beats.inc({ alive: String(alive) }),
    lost: (workers, tasks) => {
      lost.inc(workers);
      released.inc(tasks);
    },
  };
}
