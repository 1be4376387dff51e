--[[
  Marks runs as started by this worker (the running marker behind is_running and allowParallel), refusing
  a run of an allowParallel=false task while another live run of it holds the marker, and a run of a
  dynamic task deleted meanwhile.
  KEYS[1] dynamic definitions HASH
  ARGV[1] task state key prefix
  ARGV[2] lease TTL (ms)
  ARGV[3] count, then per run: taskId, delivery tag "<h|n>|<message id>", allowParallel ('1' | '0'),
          dynamic ('1' | '0')
  Output: per run 1 (start it), 0 (busy elsewhere: leave it pending, it is re-published after the lease
          TTL) or -1 (its dynamic task was deleted: drop it).
  NOTE: the state keys share the deployment's hash tag with every other key; they are built from ARGV[1].
]]
local rcall = redis.call
local t = rcall('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local result = {}
for i = 0, tonumber(ARGV[3]) - 1 do
  local taskId = ARGV[4 + i * 4]
  local stateKey = ARGV[1] .. taskId
  local tag, allowParallel, dynamic = ARGV[5 + i * 4], ARGV[6 + i * 4], ARGV[7 + i * 4]
  if dynamic == '1' and rcall('HEXISTS', KEYS[1], taskId) == 0 then
    result[i + 1] = -1
  else
    local state = rcall('HMGET', stateKey, 'running_by', 'running_until')
    if allowParallel == '0' and state[1] and state[1] ~= tag and tonumber(state[2] or '0') > now then
      result[i + 1] = 0
    else
      rcall('HSET', stateKey, 'running_by', tag, 'running_until', now + ttl)
      result[i + 1] = 1
    end
  end
end
return result
