/**
 * Takes one attempt's share of every applicable LLM limit, all or nothing (ports/llm-limiter.ts).
 *
 * KEYS, three per limit i (0-based): [3i+1] the requests counter of the current window,
 *   [3i+2] its tokens counter, [3i+3] the in-flight set (lease id → expiry ms).
 * ARGV: [1] now ms, [2] lease id, [3] lease expiry ms, [4] tokens to take,
 *   [5] the in-flight refusal's retry-after ms; then five per limit i, from 6 + 5i:
 *   max requests, max tokens, max in flight (-1: none), window end ms, window ms.
 * Returns {1} when taken; {0, retryAfterMs, i, what} when refused (`what`: requests | tokens |
 *   in-flight; the limit that asks for the longest wait).
 * Counters expire a window after their window ends (they are named per window, so a late expiry
 * only costs memory); an in-flight set expires with its latest lease.
 */
export const ACQUIRE_SCRIPT = `
local now = tonumber(ARGV[1])
local lease = ARGV[2]
local leaseUntil = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local inFlightRetry = tonumber(ARGV[5])
local limits = #KEYS / 3
local waitMs, which, what = -1, -1, ''
for i = 0, limits - 1 do
  local a = 6 + i * 5
  local maxRequests, maxTokens, maxInFlight = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
  local windowEnd = tonumber(ARGV[a + 3])
  if maxRequests >= 0 then
    local used = tonumber(redis.call('GET', KEYS[i * 3 + 1]) or '0')
    if used + 1 > maxRequests and windowEnd - now > waitMs then
      waitMs, which, what = windowEnd - now, i, 'requests'
    end
  end
  if maxTokens >= 0 then
    local used = tonumber(redis.call('GET', KEYS[i * 3 + 2]) or '0')
    if used > 0 and used + cost > maxTokens and windowEnd - now > waitMs then
      waitMs, which, what = windowEnd - now, i, 'tokens'
    end
  end
  if maxInFlight >= 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[i * 3 + 3], '-inf', now)
    if redis.call('ZCARD', KEYS[i * 3 + 3]) >= maxInFlight and inFlightRetry > waitMs then
      waitMs, which, what = inFlightRetry, i, 'in-flight'
    end
  end
end
if which >= 0 then
  return {0, waitMs, which, what}
end
for i = 0, limits - 1 do
  local a = 6 + i * 5
  local keep = tonumber(ARGV[a + 3]) - now + tonumber(ARGV[a + 4])
  redis.call('INCR', KEYS[i * 3 + 1])
  redis.call('PEXPIRE', KEYS[i * 3 + 1], keep)
  redis.call('INCRBY', KEYS[i * 3 + 2], cost)
  redis.call('PEXPIRE', KEYS[i * 3 + 2], keep)
  redis.call('ZADD', KEYS[i * 3 + 3], leaseUntil, lease)
  redis.call('PEXPIRE', KEYS[i * 3 + 3], leaseUntil - now)
end
return {1}
`;
