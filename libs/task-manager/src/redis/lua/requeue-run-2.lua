--[[
  Hands a delivered run back: its message is acknowledged and deleted, and the run goes to the one-off queue,
  due after a delay (e.g. its task is not known to this instance yet, in a rolling deploy).
  KEYS[1] the run's stream   KEYS[2] one-off ZSET
  ARGV[1] consumer group   ARGV[2] message id   ARGV[3] delay (ms)
  ARGV[4] taskId   ARGV[5] slot (ms)   ARGV[6] attempt   ARGV[7] run kind
  ARGV[8] the run's own kwargs (JSON text; '' when none)
  Output: 1 when the run was handed back, 0 when it was no longer pending here.
]]
--- @include "server-time"
--- @include "one-off-entry"
local rcall = redis.call
if rcall('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
rcall('XDEL', KEYS[1], ARGV[2])
local now = serverTimeMs()
rcall('ZADD', KEYS[2], now + tonumber(ARGV[3]), oneOffEntry(ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]))
return 1
