import { AstraError } from '../../errors/index.js';
import { type BusOptions, DEFAULT_BUS_OPTIONS } from '../../ports/bus.js';

/** Applies the port's defaults to partial options and validates the result once, at construction. */
export function resolveBusOptions(options: Partial<BusOptions> = {}): BusOptions {
  const resolved: BusOptions = { ...DEFAULT_BUS_OPTIONS, ...options };
  const positive = (value: number): boolean => Number.isSafeInteger(value) && value >= 1;
  if (
    !positive(resolved.maxDeliveries) ||
    !positive(resolved.maxLen) ||
    resolved.deadLetterStream.length === 0
  ) {
    throw new AstraError(
      'ASTRA_CONFIG_INVALID',
      'Bus options need positive integer maxDeliveries and maxLen and a dead-letter stream name.',
      {
        details: {
          maxDeliveries: resolved.maxDeliveries,
          maxLen: resolved.maxLen,
          deadLetterStream: resolved.deadLetterStream,
        },
      },
    );
  }
  return resolved;
}
