import { AstraError } from '../../errors/index.js';

/**
 * Input rules every cache adapter applies before touching its store, so all adapters reject the
 * same keys, values and TTLs with the same codes (the conformance suite checks it).
 *
 * Keys are 1–200 bytes of printable ASCII without spaces (0x21–0x7E): they are valid Memcached
 * keys (≤ 250 bytes, no whitespace or control characters) even after a prefix of up to 50 bytes,
 * and they read cleanly in logs and `redis-cli`.
 */
export const MAX_KEY_BYTES = 200;
export const MAX_KEY_PREFIX_BYTES = 50;
/** The default value limit, in UTF-8 bytes: Memcached's default item size is 1 MiB. */
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

const KEY_PATTERN = /^[\x21-\x7e]+$/;

export function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_BYTES || !KEY_PATTERN.test(key)) {
    throw new AstraError(
      'ASTRA_CACHE_INVALID_KEY',
      `cache keys are 1–${MAX_KEY_BYTES} bytes of printable ASCII without spaces`,
      { details: { key: typeof key === 'string' ? key.slice(0, 64) : String(key) } },
    );
  }
}

/** Validates every key and returns them without duplicates, in first-seen order. */
export function normalizeKeys(keys: string | readonly string[]): string[] {
  const list = typeof keys === 'string' ? [keys] : keys;
  for (const key of list) assertKey(key);
  return [...new Set(list)];
}

/** A key prefix may be empty; otherwise it follows the key alphabet and stays ≤ 50 bytes. */
export function assertKeyPrefix(prefix: string): void {
  if (prefix.length > MAX_KEY_PREFIX_BYTES || (prefix.length > 0 && !KEY_PATTERN.test(prefix))) {
    throw new AstraError(
      'ASTRA_CONFIG_INVALID',
      `a cache key prefix is at most ${MAX_KEY_PREFIX_BYTES} bytes of printable ASCII without spaces`,
      { details: { keyPrefix: prefix.slice(0, 64) } },
    );
  }
}

/** Throws unless `value` is a string of at most `maxValueBytes` UTF-8 bytes. */
export function assertValue(value: string, maxValueBytes: number): void {
  if (typeof value !== 'string') {
    throw new AstraError('ASTRA_VALIDATION_FAILED', 'cache values are strings', {
      details: { type: typeof value },
    });
  }
  // A UTF-8 encoding takes at least one byte per UTF-16 unit and at most three.
  if (value.length * 3 <= maxValueBytes) return;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > maxValueBytes) {
    throw new AstraError(
      'ASTRA_CACHE_VALUE_TOO_LARGE',
      `cache value of ${bytes} bytes exceeds ${maxValueBytes}`,
      {
        details: { bytes, maxValueBytes },
      },
    );
  }
}

/** A TTL is a positive whole number of milliseconds; `undefined` means the adapter's default. */
export function resolveTtlMs(ttlMs: number | undefined, defaultTtlMs: number): number {
  if (ttlMs === undefined) return defaultTtlMs;
  assertTtlMs(ttlMs, 'ttlMs');
  return ttlMs;
}

/** Call-time TTLs fail as ASTRA_VALIDATION_FAILED; option TTLs pass ASTRA_CONFIG_INVALID. */
export function assertTtlMs(
  ttlMs: number,
  name: string,
  code: 'ASTRA_VALIDATION_FAILED' | 'ASTRA_CONFIG_INVALID' = 'ASTRA_VALIDATION_FAILED',
): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new AstraError(code, `${name} must be a positive integer of milliseconds`, {
      details: { [name]: String(ttlMs) },
    });
  }
}

/** Resolves the `maxValueBytes` option: a positive integer, `fallback` when absent. */
export function resolveMaxValueBytes(
  maxValueBytes: number | undefined,
  fallback = DEFAULT_MAX_VALUE_BYTES,
): number {
  const resolved = maxValueBytes ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved <= 0) {
    throw new AstraError('ASTRA_CONFIG_INVALID', 'maxValueBytes must be a positive integer', {
      details: { maxValueBytes: String(resolved) },
    });
  }
  return resolved;
}
