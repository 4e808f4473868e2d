/**
 * fail.lua — records a failed delivery; dead-letters the message once its deliveries reached the cap.
 *
 * The delivery count is read from the group's pending entries list (the server's truth, not the
 * caller's copy), and the dead-letter XADD and the XACK happen in one script, so a message is never
 * both dead-lettered and still pending, nor acked without its dead-letter entry.
 *
 * KEYS[1]  source stream key
 * KEYS[2]  dead-letter stream key
 * ARGV[1]  group
 * ARGV[2]  message id
 * ARGV[3]  maxDeliveries
 * ARGV[4]  dead-letter stream MAXLEN (approximate)
 * ARGV[5]  source stream name as callers see it (without key prefix), for the `stream` field
 * ARGV[6]  last error text
 * ARGV[7…] original fields as name, value pairs, names already prefixed `field:`
 *
 * Returns  1 when dead-lettered and acked;
 *          0 when it stays pending (count below the cap) or is no longer pending (nothing to do).
 * Errors   NOGROUP when the stream or group does not exist.
 */
export const FAIL_SCRIPT = `
local entry = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)[1]
if not entry then return 0 end
local deliveries = tonumber(entry[4])
if deliveries < tonumber(ARGV[3]) then return 0 end
local time = redis.call('TIME')
local nowMs = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local fields = {
  'stream', ARGV[5], 'group', ARGV[1], 'message_id', ARGV[2],
  'delivery_count', string.format('%d', deliveries), 'last_error', ARGV[6],
  'timestamp', string.format('%.0f', nowMs)
}
for i = 7, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', unpack(fields))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
`;
