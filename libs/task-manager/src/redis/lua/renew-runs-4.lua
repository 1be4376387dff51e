--[[
  A worker's heartbeat: touches every run message it holds (XCLAIM to itself, resetting its idle time,
  which is the run's lease), extends the running markers of its started runs, and refreshes the worker
  registry. A message no longer in the worker's pending list was taken over: it is reported as lost.
  KEYS[1] workers ZSET   KEYS[2] stream high   KEYS[3] stream normal   KEYS[4] worker info HASH
  ARGV[1] consumer group   ARGV[2] worker id   ARGV[3] lease TTL (ms)   ARGV[4] now (ms, worker clock)
  ARGV[5] task state key prefix   ARGV[6] worker description (JSON)
  ARGV[7] count, then per run: priority ('h' | 'n'), message id, taskId ('' when not started)
  Output: indexes (1-based) of the runs that were lost.
]]
local rcall = redis.call
local t = rcall('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lost = {}
for i = 0, tonumber(ARGV[7]) - 1 do
  local priority, id, taskId = ARGV[8 + i * 3], ARGV[9 + i * 3], ARGV[10 + i * 3]
  local stream = priority == 'h' and KEYS[2] or KEYS[3]
  local ok, claimed = pcall(rcall, 'XCLAIM', stream, ARGV[1], ARGV[2], 0, id, 'JUSTID')
  if not ok or #claimed == 0 then
    lost[#lost + 1] = i + 1
  elseif taskId ~= '' then
    -- Extend our running marker, or take it over when it was released or lapsed (parallel runs).
    local stateKey = ARGV[5] .. taskId
    local tag = priority .. '|' .. id
    local state = rcall('HMGET', stateKey, 'running_by', 'running_until')
    if state[1] == tag or tonumber(state[2] or '0') < now then
      rcall('HSET', stateKey, 'running_by', tag, 'running_until', now + tonumber(ARGV[3]))
    end
  end
end
rcall('ZADD', KEYS[1], ARGV[4], ARGV[2])
rcall('HSET', KEYS[4], ARGV[2], ARGV[6])
return lost
