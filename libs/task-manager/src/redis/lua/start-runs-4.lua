--[[
  Marks delivered runs as started by this worker (the running marker behind is_running and allowParallel).
  A run of an allowParallel=false task whose previous run still holds a live marker elsewhere is not
  started: it is moved back to the one-off queue for a second later. A run of a dynamic task deleted
  meanwhile is dropped. A run delivered long ago (e.g. to a process that was then frozen) is first
  re-claimed: if it is no longer in this consumer's pending list, it was recovered elsewhere and is lost here.
  KEYS[1] dynamic definitions HASH   KEYS[2] stream high   KEYS[3] stream normal   KEYS[4] one-off ZSET
  ARGV[1] task state key prefix   ARGV[2] lease TTL (ms)   ARGV[3] consumer group   ARGV[4] consumer
  ARGV[5] count, then per run: taskId, priority ('h' | 'n'), message id, allowParallel ('1' | '0'),
          dynamic ('1' | '0'), slot (ms), attempt, run kind, verify ownership ('1' | '0')
  Output: per run 1 (start it), 0 (busy: re-queued), -1 (its dynamic task was deleted: dropped) or
          -2 (no longer ours: recovered by another worker).
  NOTE: the state keys share the deployment's hash tag with every other key; they are built from ARGV[1].
]]
local rcall = redis.call
local t = rcall('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local result = {}
for i = 0, tonumber(ARGV[5]) - 1 do
  local b = 6 + i * 9
  local taskId, priority, id, allowParallel, dynamic = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]
  local stateKey = ARGV[1] .. taskId
  local stream = priority == 'h' and KEYS[2] or KEYS[3]
  local tag = priority .. '|' .. id
  if ARGV[b + 8] == '1' and #rcall('XCLAIM', stream, ARGV[3], ARGV[4], 0, id, 'JUSTID') == 0 then
    result[i + 1] = -2
  elseif dynamic == '1' and rcall('HEXISTS', KEYS[1], taskId) == 0 then
    rcall('XACK', stream, ARGV[3], id)
    rcall('XDEL', stream, id)
    result[i + 1] = -1
  elseif allowParallel == '0' then
    local state = rcall('HMGET', stateKey, 'running_by', 'running_until', 'inflight')
    if state[1] and state[1] ~= tag and tonumber(state[2] or '0') > now then
      rcall('XACK', stream, ARGV[3], id)
      rcall('XDEL', stream, id)
      if state[3] == tag then rcall('HDEL', stateKey, 'inflight') end
      rcall('ZADD', KEYS[4], now + 1000, cjson.encode({ taskId, tonumber(ARGV[b + 5]), tonumber(ARGV[b + 6]), ARGV[b + 7] }))
      result[i + 1] = 0
    else
      rcall('HSET', stateKey, 'running_by', tag, 'running_until', now + ttl)
      result[i + 1] = 1
    end
  else
    rcall('HSET', stateKey, 'running_by', tag, 'running_until', now + ttl)
    result[i + 1] = 1
  end
end
return result
