/**
 * Converts a TTL in milliseconds to Memcached's expiration field.
 *
 * - Memcached counts whole seconds, so the TTL rounds up: an entry never lives shorter than asked
 *   because of rounding.
 * - The server's clock ticks once per second and an item expires when the tick reaches its
 *   deadline, so an item set just before a tick with expiration N lives only a little over N − 1
 *   seconds. One extra second makes the lifetime at least the TTL; the price is that an entry may
 *   be served up to about two seconds after its TTL in milliseconds has passed.
 * - Values above 30 days are read by Memcached as absolute Unix times, so long TTLs are sent as
 *   `now + seconds` (rounded up as well).
 */
export const MEMCACHED_RELATIVE_LIMIT_S = 60 * 60 * 24 * 30;

export function memcachedExpiration(ttlMs: number, nowMs: number): number {
  const seconds = Math.ceil(ttlMs / 1000) + 1;
  if (seconds <= MEMCACHED_RELATIVE_LIMIT_S) return seconds;
  return Math.ceil(nowMs / 1000) + seconds;
}
