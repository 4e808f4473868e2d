import { afterEach, expect } from 'vitest';
import { AstraError, type ErrorCode } from '../../../src/errors/index.js';
import type { Bus, BusOptions } from '../../../src/ports/bus.js';
import type { Clock } from '../../../src/time/clock.js';

/** One bus under test plus the controls the suite needs over its backend. */
export interface BusHarness {
  readonly bus: Bus;
  /** The clock the bus measures idle time on, handed to consumer loops. */
  readonly clock: Clock;
  /** Moves time forward by at least `ms` as the bus sees it: a ManualClock advance, or a real wait. */
  advance(ms: number): Promise<void>;
  /** Closes the bus (if still open) and removes anything the harness created on a shared server. */
  dispose(): Promise<void>;
}

/** Crash controls over a private server the harness's bus talks to. */
export interface BusFaults {
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** Resolves once the server reports at least one client parked in a blocking read. */
  waitUntilBlocked(): Promise<void>;
  /** Creates another bus on the same server (the factory path), for tests of start-up while down. */
  openBus(): Promise<Bus>;
}

export interface BusSuiteFactory {
  open(options?: Partial<BusOptions>): Promise<BusHarness>;
  /** An idle window for reclaim tests: kept small (50–100 ms) where time is real. */
  readonly idleMs: number;
  /** True when the harness clock is manual, so "not before min-idle" can be checked to the millisecond. */
  readonly exactTime: boolean;
  /** Present when the backend can be crashed: a harness on a private server and its controls. */
  readonly faults?: (options?: Partial<BusOptions>) => Promise<{ harness: BusHarness; faults: BusFaults }>;
}

/** Opens harnesses for one test and disposes of them after it, pass or fail. */
export function harnessPool(
  factory: BusSuiteFactory,
): (options?: Partial<BusOptions>) => Promise<BusHarness> {
  const open: BusHarness[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((harness) => harness.dispose()));
  });
  return async (options) => {
    const harness = await factory.open(options);
    open.push(harness);
    return harness;
  };
}

/** Polls a condition on real time until it holds; the timeout only turns a hang into a readable failure. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<AstraError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AstraError);
  expect((error as AstraError).code).toBe(code);
  return error as AstraError;
}

/** A promise with its resolve handle, for gates a test opens when it chooses. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

export const DEAD_LETTER = 'astra:dead_letter';
