import { AstraError } from '../errors/index.js';
import type { BusMessage } from '../ports/bus.js';
import { type Clock, systemClock } from '../time/clock.js';

/** Where in the loop an error happened; handed to `onError` with the message it concerns, if any. */
export type ConsumerPhase = 'ensure_group' | 'read' | 'reclaim' | 'handler' | 'ack' | 'fail';

export interface ConsumerErrorContext {
  readonly phase: ConsumerPhase;
  readonly message?: BusMessage;
}

export interface ConsumerOptions {
  readonly group: string;
  /** Unique per live consumer process; pending messages are owned by this name. */
  readonly consumer: string;
  readonly streams: readonly string[];
  /** Resolves when the message is handled (then it is acked); a throw or rejection counts as a failed delivery. */
  readonly handler: (message: BusMessage) => Promise<void>;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Messages read per stream per read; default 10. */
  readonly batchSize?: number;
  /** Longest blocking read; default 5,000 ms. Shortened so reclaim runs on time. */
  readonly blockMs?: number;
  /** Handlers running at once; default 10. */
  readonly concurrency?: number;
  /** Messages pending this long are taken over (from dead consumers, or retried after a failure); default 30,000 ms. Must exceed the longest handler run, or a slow message is handed out twice. */
  readonly minIdleMs?: number;
  /** How often to look for idle messages; default minIdleMs. */
  readonly reclaimEveryMs?: number;
  /** First delay after a bus error, doubling per consecutive error; default 100 ms. */
  readonly retryDelayMs?: number;
  /** Cap on that delay; default 5,000 ms. */
  readonly maxRetryDelayMs?: number;
  /** Told about every error the loop absorbs (it never throws them); must not throw. */
  readonly onError?: (error: AstraError, context: ConsumerErrorContext) => void;
  /** Which buffered message starts first (negative: a before b); default arrival order. */
  readonly order?: (a: BusMessage, b: BusMessage) => number;
}

export interface ResolvedConsumerOptions {
  readonly group: string;
  readonly consumer: string;
  readonly streams: readonly string[];
  readonly handler: (message: BusMessage) => Promise<void>;
  readonly clock: Clock;
  readonly batchSize: number;
  readonly blockMs: number;
  readonly concurrency: number;
  readonly minIdleMs: number;
  readonly reclaimEveryMs: number;
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly onError: (error: AstraError, context: ConsumerErrorContext) => void;
  readonly order: ((a: BusMessage, b: BusMessage) => number) | undefined;
}

/** Applies defaults in one place and rejects nonsense (ASTRA_CONFIG_INVALID) before the loop starts. */
export function resolveConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  const minIdleMs = options.minIdleMs ?? 30_000;
  const resolved: ResolvedConsumerOptions = {
    group: options.group,
    consumer: options.consumer,
    streams: [...options.streams],
    handler: options.handler,
    clock: options.clock ?? systemClock,
    batchSize: options.batchSize ?? 10,
    blockMs: options.blockMs ?? 5_000,
    concurrency: options.concurrency ?? 10,
    minIdleMs,
    reclaimEveryMs: options.reclaimEveryMs ?? minIdleMs,
    retryDelayMs: options.retryDelayMs ?? 100,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 5_000,
    onError: options.onError ?? (() => undefined),
    order: options.order,
  };
  const problems = [
    resolved.group.length === 0 && 'group must be non-empty',
    resolved.consumer.length === 0 && 'consumer must be non-empty',
    (resolved.streams.length === 0 || resolved.streams.some((s) => s.length === 0)) &&
      'streams must be non-empty names',
    !isPositiveInt(resolved.batchSize) && 'batchSize must be a positive integer',
    !isPositiveInt(resolved.concurrency) && 'concurrency must be a positive integer',
    !isPositiveInt(resolved.reclaimEveryMs) && 'reclaimEveryMs must be a positive integer',
    !isPositiveInt(resolved.retryDelayMs) && 'retryDelayMs must be a positive integer',
    resolved.maxRetryDelayMs < resolved.retryDelayMs && 'maxRetryDelayMs must be at least retryDelayMs',
    !(Number.isSafeInteger(resolved.blockMs) && resolved.blockMs >= 0) &&
      'blockMs must be a non-negative integer',
    !(Number.isSafeInteger(resolved.minIdleMs) && resolved.minIdleMs >= 0) &&
      'minIdleMs must be a non-negative integer',
  ].filter((problem): problem is string => typeof problem === 'string');
  if (problems.length > 0) {
    throw new AstraError('ASTRA_CONFIG_INVALID', `Invalid consumer options: ${problems.join('; ')}.`, {
      details: { group: resolved.group, consumer: resolved.consumer },
    });
  }
  return resolved;
}

function isPositiveInt(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 1;
}
