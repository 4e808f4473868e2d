import type { RunningNode } from '../../src/app/node.js';
import { startWorkerManager } from '../../src/kernel/index.js';
import { type Clock, systemClock } from '../../src/time/clock.js';

/**
 * One check of a node's workers by a worker manager whose clock is an hour ahead, so that every
 * worker is silent past its deadline: answers the ids of the workers it judged lost.
 */
export async function workersLostAnHourLater(node: RunningNode): Promise<string[]> {
  const later: Clock = { now: () => systemClock.now() + 3_600_000, sleep: systemClock.sleep };
  const manager = startWorkerManager({
    store: node.backends.store,
    engine: node.kernel.engine,
    clock: later,
    deadlineMs: 5000,
    checkEveryMs: 3_600_000,
  });
  try {
    return await manager.check();
  } finally {
    await manager.stop();
  }
}
