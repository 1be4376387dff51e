--[[
  Hands runs this worker holds back to the cluster at once (graceful shutdown: runs aborted by the shutdown
  timeout and runs delivered but not started; runs given up because their lease could not be renewed):
  each is re-published as a new message with the same fields, its in-flight mark follows it, and its
  running marker is released. A run no longer pending for this worker is left alone when it was recovered
  elsewhere, and re-published from its fields when its data was wiped meanwhile and it cannot have been
  recovered before the wipe (its lease limit, see leaseLimit in includes/generation.lua, is still ahead).
  KEYS[1] stream high   KEYS[2] stream normal   KEYS[3] data generation STRING
  ARGV[1] consumer group   ARGV[2] consumer (this worker)   ARGV[3] task state key prefix
  ARGV[4] request key (see includes/request-once.lua: a re-sent hand-back publishes nothing twice)
  ARGV[5] lease TTL (ms)
  ARGV[6] count, then per run (layout HAND_BACK_RUNS_ARGS in src/wire/script-args.ts): priority ('h' | 'n'),
          messageId, taskId, slot, attempt, kind (run kind), generation (data generation of the run),
          leaseUntil (server ms its last start or renewal here set, '' when none), kwargs (the run's own
          kwargs as JSON text, '' when none: kept when it is re-published from its fields)
  Output: per run, 1 when it was handed back, 0 when it was not this worker's any more.
]]
--- @include "server-time"
--- @include "generation"
--- @include "request-once"
--- @include "run-tag"
--- @include "item-args"
local rcall = redis.call
local previous = previousResult(ARGV[4])
if previous then return cjson.decode(previous) end
local result = {}
local now = serverTimeMs()
local ttl = tonumber(ARGV[5])
local runs = readItems(6, { 'priority', 'messageId', 'taskId', 'slot', 'attempt', 'kind', 'generation',
  'leaseUntil', 'kwargs' })
for i, run in ipairs(runs) do
  local priority, id, taskId = run.priority, run.messageId, run.taskId
  local stream = streamOf(priority, KEYS[1], KEYS[2])
  result[i] = 0
  local ok, owned = pcall(rcall, 'XPENDING', stream, ARGV[1], id, id, 1, ARGV[2])
  local entry = ok and #owned > 0 and rcall('XRANGE', stream, id, id)[1]
  if entry then
    rcall('XACK', stream, ARGV[1], id)
    local newId = rcall('XADD', stream, '*', unpack(entry[2]))
    rcall('XDEL', stream, id)
    local stateKey = ARGV[3] .. taskId
    local tag = runTag(priority, id)
    local state = rcall('HMGET', stateKey, 'inflight', 'running_by')
    if state[1] == tag then rcall('HSET', stateKey, 'inflight', runTag(priority, newId)) end
    if state[2] == tag then rcall('HSET', stateKey, 'running_until', 0) end
    result[i] = 1
  elseif keptThroughWipe(KEYS[3], run.generation, now, leaseLimit(id, ttl, run.leaseUntil)) then
    local fields = { 't', taskId, 's', run.slot, 'a', run.attempt, 'k', run.kind, 'g', currentGeneration(KEYS[3]) }
    if run.kwargs ~= '' then
      fields[#fields + 1] = 'w'
      fields[#fields + 1] = run.kwargs
    end
    rcall('XADD', stream, '*', unpack(fields))
    result[i] = 1
  end
end
remember(ARGV[4], cjson.encode(result))
return result
