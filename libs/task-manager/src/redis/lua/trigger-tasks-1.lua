--[[
  Queues an immediate one-off run of each task and clears its retry backoff; the regular schedule is
  untouched. Wakes the leader through the change-notice channel.
  KEYS[1] one-off ZSET
  ARGV[1] task state key prefix   ARGV[2] now (ms)   ARGV[3] change-notice channel   ARGV[4] notice
  ARGV[5] count, then taskIds
  Output: number of runs queued.
]]
local rcall = redis.call
local now = tonumber(ARGV[2])
local n = tonumber(ARGV[5])
for i = 1, n do
  local taskId = ARGV[5 + i]
  rcall('HDEL', ARGV[1] .. taskId, 'retry_after', 'retry_delay', 'failures')
  rcall('ZADD', KEYS[1], now, cjson.encode({ taskId, now, 1, 'trigger' }))
end
rcall('PUBLISH', ARGV[3], ARGV[4])
return n
