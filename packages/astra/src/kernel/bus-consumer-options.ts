import { AstraError } from '../errors/index.js';
import type { BusMessage } from '../ports/bus.js';
import { type Clock, systemClock } from '../time/clock.js';

/** Where in the loop an error happened; handed to `onError` with the message it concerns, if any. */
export type ConsumerPhase = 'ensure_group' | 'read' | 'reclaim' | 'handler' | 'ack' | 'fail';

export interface ConsumerErrorContext {
  readonly phase: ConsumerPhase;
  readonly message?: BusMessage;
}

/**
 * The bus consumer's defaults, in one place: `resolveConsumerOptions` applies them and the
 * settings table shows `minIdleMs` as ASTRA_BUS_MIN_IDLE_MS's default (the executor's reclaim).
 */
export const BUS_CONSUMER_DEFAULTS = {
  batchSize: 10,
  blockMs: 5_000,
  concurrency: 10,
  minIdleMs: 30_000,
  retryDelayMs: 100,
  maxRetryDelayMs: 5_000,
} as const;

export interface ConsumerOptions {
  readonly group: string;
  /** Unique per live consumer process; pending messages are owned by this name. */
  readonly consumer: string;
  readonly streams: readonly string[];
  /** Resolves when the message is handled (then it is acked); a throw or rejection counts as a failed delivery. */
  readonly handler: (message: BusMessage) => Promise<void>;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Messages read per stream per read. Defaults of this and below: BUS_CONSUMER_DEFAULTS. */
  readonly batchSize?: number;
  /** Longest blocking read. Shortened so reclaim runs on time. */
  readonly blockMs?: number;
  /** Handlers running at once. */
  readonly concurrency?: number;
  /** Messages pending this long are taken over (from dead consumers, or retried after a failure). Must exceed the longest handler run, or a slow message is handed out twice. */
  readonly minIdleMs?: number;
  /** How often to look for idle messages; default minIdleMs. */
  readonly reclaimEveryMs?: number;
  /** First delay after a bus error, doubling per consecutive error. */
  readonly retryDelayMs?: number;
  /** Cap on that delay. */
  readonly maxRetryDelayMs?: number;
  /** Told about every error the loop absorbs (it never throws them); must not throw. */
  readonly onError?: (error: AstraError, context: ConsumerErrorContext) => void;
  /** Which buffered message starts first (negative: a before b); default arrival order. */
  readonly order?: (a: BusMessage, b: BusMessage) => number;
  /**
   * Slots of `concurrency` taken by work the owner runs without a message (an executor's eagerly
   * claimed tasks); default none. When that work ends, the owner calls the consumer's `wake()`.
   */
  readonly busy?: () => number;
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
  readonly busy: () => number;
}

/** Applies defaults in one place and rejects nonsense (ASTRA_CONFIG_INVALID) before the loop starts. */
export function resolveConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  const minIdleMs = options.minIdleMs ?? BUS_CONSUMER_DEFAULTS.minIdleMs;
  const resolved: ResolvedConsumerOptions = {
    group: options.group,
    consumer: options.consumer,
    streams: [...options.streams],
    handler: options.handler,
    clock: options.clock ?? systemClock,
    batchSize: options.batchSize ?? BUS_CONSUMER_DEFAULTS.batchSize,
    blockMs: options.blockMs ?? BUS_CONSUMER_DEFAULTS.blockMs,
    concurrency: options.concurrency ?? BUS_CONSUMER_DEFAULTS.concurrency,
    minIdleMs,
    reclaimEveryMs: options.reclaimEveryMs ?? minIdleMs,
    retryDelayMs: options.retryDelayMs ?? BUS_CONSUMER_DEFAULTS.retryDelayMs,
    maxRetryDelayMs: options.maxRetryDelayMs ?? BUS_CONSUMER_DEFAULTS.maxRetryDelayMs,
    onError: options.onError ?? (() => undefined),
    order: options.order,
    busy: options.busy ?? (() => 0),
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
