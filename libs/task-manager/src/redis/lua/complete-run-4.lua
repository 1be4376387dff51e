--[[
  Records the outcome of a run and releases it, atomically: XACK + XDEL of its message, release of its
  running marker and in-flight mark, a capped + expiring history entry, the retry backoff state, and a
  delayed retry when attempts remain.
  KEYS[1] the run's stream   KEYS[2] task state HASH   KEYS[3] task history STREAM   KEYS[4] one-off ZSET
  ARGV[1] consumer group   ARGV[2] message id   ARGV[3] priority ('h' | 'n')   ARGV[4] status ('success' | 'failed')
  ARGV[5] started at (ms)   ARGV[6] duration (s)   ARGV[7] error message   ARGV[8] worker id
  ARGV[9] slot (ms)   ARGV[10] attempt   ARGV[11] history max entries   ARGV[12] history TTL (s)
  ARGV[13] backoff start (s)   ARGV[14] backoff max (s)   ARGV[15] backoff multiplier   ARGV[16] max attempts
  ARGV[17] taskId   ARGV[18] run kind
  Output: 1 recorded; 2 recorded although the message was lost with its stream (e.g. FLUSHALL);
          0 not recorded: another worker took the run over (its lease had expired).
]]
local rcall = redis.call
local result = 1
if rcall('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  local groupExists = false
  if rcall('EXISTS', KEYS[1]) == 1 then
    for _, group in ipairs(rcall('XINFO', 'GROUPS', KEYS[1])) do
      for j = 1, #group, 2 do
        if group[j] == 'name' and group[j + 1] == ARGV[1] then groupExists = true end
      end
    end
  end
  if groupExists then return 0 end
  result = 2
end
rcall('XDEL', KEYS[1], ARGV[2])
local tag = ARGV[3] .. '|' .. ARGV[2]
local state = rcall('HMGET', KEYS[2], 'inflight', 'running_by', 'retry_delay', 'history_ttl_at')
if state[1] == tag then rcall('HDEL', KEYS[2], 'inflight') end
rcall('XADD', KEYS[3], 'MAXLEN', ARGV[11], '*', 'ts', ARGV[5], 'd', ARGV[6], 'st', ARGV[4], 'e', ARGV[7],
  'w', ARGV[8], 's', ARGV[9], 'a', ARGV[10], 'k', ARGV[18])
-- One HSET: outcome, and the running marker released (running_until 0) when this run holds it.
local fields = { 'last_status', ARGV[4], 'last_run', ARGV[5] }
-- The history's TTL is refreshed when half of it has elapsed (not on every run): it still expires
-- `statisticsRedisExpiration` after the task stops running, at most half of that later.
local historyTtl = tonumber(ARGV[12])
local seconds = math.floor(tonumber(ARGV[5]) / 1000)
if not state[4] or seconds - tonumber(state[4]) >= historyTtl / 2 then
  rcall('EXPIRE', KEYS[3], historyTtl)
  fields[#fields + 1] = 'history_ttl_at'
  fields[#fields + 1] = seconds
end
if state[2] == tag then
  fields[#fields + 1] = 'running_until'
  fields[#fields + 1] = 0
end
if ARGV[4] == 'success' then
  if state[3] then rcall('HDEL', KEYS[2], 'retry_after', 'retry_delay', 'failures') end
else
  local t = rcall('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local max = tonumber(ARGV[14])
  local delay = tonumber(ARGV[13])
  if state[3] then delay = tonumber(state[3]) * tonumber(ARGV[15]) end
  if delay > max then delay = max end
  local retryAfter = now + math.floor(delay * 1000)
  for _, v in ipairs({ 'retry_after', retryAfter, 'retry_delay', delay }) do fields[#fields + 1] = v end
  rcall('HINCRBY', KEYS[2], 'failures', 1)
  if tonumber(ARGV[10]) < tonumber(ARGV[16]) then
    rcall('ZADD', KEYS[4], retryAfter, cjson.encode({ ARGV[17], tonumber(ARGV[9]), tonumber(ARGV[10]) + 1, 'retry' }))
  end
end
rcall('HSET', KEYS[2], unpack(fields))
return result
