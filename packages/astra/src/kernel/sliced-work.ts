import { yieldToEventLoop } from './yield-to-event-loop.js';

/**
 * A long synchronous pass (checking a 10,000-task plan, walking a large request body) written as a
 * generator that `yield`s between slices of its work. The same pass runs either way:
 *
 * - `finishNow` runs it to the end at once (callers that must stay synchronous);
 * - `finishInSlices` pauses at each yield (by default until the event loop has run its pending
 *   I/O), so in embedded mode `/health` and API reads are answered while a large goal is checked.
 *
 * Whatever the pass returns or throws is the same in both: only the pauses differ.
 */
export type SlicedWork<T> = Generator<void, T, undefined>;

/**
 * Items (plan tasks, or about ten JSON values) one slice handles. A cold process checks a task in
 * about 5 µs and a warm one in about 1.5 µs (CPU time, 10,000-task plan, docs/benchmark.md), so a
 * slice holds the loop for a few milliseconds at most.
 */
export const ITEMS_PER_SLICE = 500;

export function finishNow<T>(work: SlicedWork<T>): T {
  for (;;) {
    const step = work.next();
    if (step.done === true) return step.value;
  }
}

/** Runs `work`, awaiting `pause` at each of its yields. */
export async function finishInSlices<T>(
  work: SlicedWork<T>,
  pause: () => Promise<void> = yieldToEventLoop,
): Promise<T> {
  for (;;) {
    const step = work.next();
    if (step.done === true) return step.value;
    await pause();
  }
}
