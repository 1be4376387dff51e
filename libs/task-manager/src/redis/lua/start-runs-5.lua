--[[
  Marks delivered runs as started by this worker (the running marker behind is_running and allowParallel).
  A run of an allowParallel=false task whose previous run still holds a live marker elsewhere is not
  started: it is moved back to the one-off queue for a second later. A run of a dynamic task deleted
  meanwhile is dropped. A run published more than a third of a lease ago (its message id is its server
  publish time: e.g. delivered to a process that was then frozen) is first re-claimed: if it is no longer in
  this consumer's pending list, it was recovered elsewhere and is lost here — unless its data was wiped since
  it was published and it cannot have been recovered before the wipe (its lease limit, see leaseLimit in
  includes/generation.lua, is still ahead): nobody else has it then, it starts.
  KEYS[1] dynamic definitions HASH   KEYS[2] stream high   KEYS[3] stream normal   KEYS[4] one-off ZSET
  KEYS[5] data generation STRING
  ARGV[1] task state key prefix   ARGV[2] lease TTL (ms)   ARGV[3] consumer group   ARGV[4] consumer
  ARGV[5] count, then per run (layout START_RUNS_ARGS in src/wire/script-args.ts): taskId, priority
          ('h' | 'n'), messageId, allowParallel ('1' | '0'), dynamic ('1' | '0'), slot (ms), attempt, kind
          (run kind), generation (data generation of the run), leaseUntil (server ms its last renewal here
          set, '' when none), kwargs (the run's own kwargs as JSON text, '' when none: kept when re-queued)
  Output: { per run 1 (start it), 0 (busy: re-queued), -1 (its dynamic task was deleted: dropped) or
          -2 (no longer ours: recovered by another worker); per run the lease limit (server ms) a started
          run has now }.
  NOTE: the state keys share the deployment's hash tag with every other key; they are built from ARGV[1].
]]
--- @include "server-time"
--- @include "generation"
--- @include "run-tag"
--- @include "one-off-entry"
--- @include "item-args"
local rcall = redis.call
local now = serverTimeMs()
local ttl = tonumber(ARGV[2])
local runs = readItems(5, { 'taskId', 'priority', 'messageId', 'allowParallel', 'dynamic', 'slot', 'attempt', 'kind',
  'generation', 'leaseUntil', 'kwargs' })
local result = {}
local leases = {}
for i, run in ipairs(runs) do
  local taskId, id = run.taskId, run.messageId
  local stateKey = ARGV[1] .. taskId
  local stream = streamOf(run.priority, KEYS[2], KEYS[3])
  local tag = runTag(run.priority, id)
  local published = tonumber(string.match(id, '^(%d+)'))
  local ours = true
  -- (Not re-claimed: delivered after its publication, its lease holds at least a TTL from then.)
  leases[i] = published + ttl
  if now - published > ttl / 3 then
    local ok, claimed = pcall(rcall, 'XCLAIM', stream, ARGV[3], ARGV[4], 0, id, 'JUSTID')
    ours = (ok and #claimed > 0) or keptThroughWipe(KEYS[5], run.generation, now, leaseLimit(id, ttl, run.leaseUntil))
    leases[i] = now + ttl
  end
  if not ours then
    result[i] = -2
  elseif run.dynamic == '1' and rcall('HEXISTS', KEYS[1], taskId) == 0 then
    rcall('XACK', stream, ARGV[3], id)
    rcall('XDEL', stream, id)
    result[i] = -1
  elseif run.allowParallel == '0' then
    local state = rcall('HMGET', stateKey, 'running_by', 'running_until', 'inflight')
    if state[1] and state[1] ~= tag and tonumber(state[2] or '0') > now then
      rcall('XACK', stream, ARGV[3], id)
      rcall('XDEL', stream, id)
      if state[3] == tag then rcall('HDEL', stateKey, 'inflight') end
      rcall('ZADD', KEYS[4], now + 1000, oneOffEntry(taskId, run.slot, run.attempt, run.kind, run.kwargs))
      result[i] = 0
    else
      rcall('HSET', stateKey, 'running_by', tag, 'running_until', now + ttl)
      result[i] = 1
    end
  else
    rcall('HSET', stateKey, 'running_by', tag, 'running_until', now + ttl)
    result[i] = 1
  end
end
return { result, leases }
