--[[
  A worker's idle heartbeat: its last-seen time, in server time (one clock for the whole cluster), and, when
  given, its description.
  KEYS[1] workers ZSET   KEYS[2] worker info HASH
  ARGV[1] worker id   ARGV[2] worker description (JSON), or '' to leave it as it is
  Output: the server time (ms).
]]
--- @include "server-time"
local rcall = redis.call
local now = serverTimeMs()
rcall('ZADD', KEYS[1], now, ARGV[1])
if ARGV[2] ~= '' then rcall('HSET', KEYS[2], ARGV[1], ARGV[2]) end
return now
