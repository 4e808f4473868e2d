/**
 * Settles an attempt's share of its limits (ports/llm-limiter.ts): frees its in-flight slots and replaces
 * its token estimate with the tokens it used, in the windows the estimate was charged to.
 *
 * KEYS, two per limit i: [2i+1] the tokens counter it was charged to, [2i+2] the in-flight set.
 * ARGV: [1] lease id, [2] tokens used minus tokens reserved.
 * Returns the number of in-flight slots freed. A counter whose window has expired is left alone
 * (INCRBY would recreate it without an expiry).
 */
export const SETTLE_SCRIPT = `
local freed = 0
local delta = tonumber(ARGV[2])
for i = 0, #KEYS / 2 - 1 do
  if delta ~= 0 and redis.call('EXISTS', KEYS[i * 2 + 1]) == 1 then
    redis.call('INCRBY', KEYS[i * 2 + 1], delta)
  end
  freed = freed + redis.call('ZREM', KEYS[i * 2 + 2], ARGV[1])
end
return freed
`;
