/**
 * reclaim.lua — takes over messages idle for at least min-idle and dead-letters the abandoned ones.
 *
 * XAUTOCLAIM moves idle pending messages to the caller and adds one to each delivery count; the
 * script then reads each count back with XPENDING. A count above maxDeliveries means the previous
 * maxDeliveries deliveries all went unacknowledged (their consumers died or hung), so the message is
 * dead-lettered and acked in the same script instead of being handed out again. The scan follows
 * XAUTOCLAIM's cursor for up to ARGV[9] rounds so idle messages behind busy ones are still found.
 *
 * KEYS[1]  source stream key
 * KEYS[2]  dead-letter stream key
 * ARGV[1]  group
 * ARGV[2]  consumer taking the messages over
 * ARGV[3]  min idle time, ms
 * ARGV[4]  most messages to claim (handed out plus dead-lettered)
 * ARGV[5]  maxDeliveries
 * ARGV[6]  dead-letter stream MAXLEN (approximate)
 * ARGV[7]  source stream name as callers see it (without key prefix), for the `stream` field
 * ARGV[8]  last_error text for abandoned messages
 * ARGV[9]  most XAUTOCLAIM rounds
 *
 * Returns  an array of { id, delivery count, { name, value, … } } for the messages handed out,
 *          oldest first. Entries trimmed from the stream while pending are dropped by XAUTOCLAIM.
 * Errors   NOGROUP when the stream or group does not exist.
 */
export const RECLAIM_SCRIPT = `
local wanted = tonumber(ARGV[4])
local maxDeliveries = tonumber(ARGV[5])
local handedOut = {}
local claimed = 0
local cursor = '0-0'
local rounds = 0
repeat
  local reply = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], cursor, 'COUNT', wanted - claimed)
  cursor = reply[1]
  for _, entry in ipairs(reply[2]) do
    if type(entry) == 'table' and type(entry[2]) == 'table' then
      claimed = claimed + 1
      local id = entry[1]
      local deliveries = tonumber(redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)[1][4])
      if deliveries > maxDeliveries then
        local time = redis.call('TIME')
        local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local fields = {
          'stream', ARGV[7], 'group', ARGV[1], 'message_id', id,
          'delivery_count', string.format('%d', deliveries - 1), 'last_error', ARGV[8],
          'timestamp', string.format('%.0f', nowMs)
        }
        local original = entry[2]
        for i = 1, #original, 2 do
          fields[#fields + 1] = 'field:' .. original[i]
          fields[#fields + 1] = original[i + 1]
        end
        redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', unpack(fields))
        redis.call('XACK', KEYS[1], ARGV[1], id)
      else
        handedOut[#handedOut + 1] = { id, deliveries, entry[2] }
      end
    end
  end
  rounds = rounds + 1
until cursor == '0-0' or claimed >= wanted or rounds >= tonumber(ARGV[9])
return handedOut
`;
