--[[
  Marks runs as started by this worker (the running marker behind is_running and allowParallel), refusing
  a run of an allowParallel=false task while another live run of it holds the marker.
  ARGV[1] task state key prefix
  ARGV[2] lease TTL (ms)
  ARGV[3] count, then per run: taskId, delivery tag "<h|n>|<message id>", allowParallel ('1' | '0')
  Output: per run 1 (start it) or 0 (busy elsewhere: leave it pending, it is re-published after the lease TTL).
  NOTE: the state keys share the deployment's hash tag with every other key; they are built from ARGV[1].
]]
local rcall = redis.call
local t = rcall('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local result = {}
for i = 0, tonumber(ARGV[3]) - 1 do
  local stateKey = ARGV[1] .. ARGV[4 + i * 3]
  local tag, allowParallel = ARGV[5 + i * 3], ARGV[6 + i * 3]
  local state = rcall('HMGET', stateKey, 'running_by', 'running_until')
  if allowParallel == '0' and state[1] and state[1] ~= tag and tonumber(state[2] or '0') > now then
    result[i + 1] = 0
  else
    rcall('HSET', stateKey, 'running_by', tag, 'running_until', now + ttl)
    result[i + 1] = 1
  end
end
return result
