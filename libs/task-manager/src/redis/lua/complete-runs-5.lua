--[[
  Records the outcomes of a batch of runs and releases them, atomically, each as one completion: XACK of its
  message, release of its running marker and in-flight mark, a capped + expiring history entry, the retry
  backoff state, and a delayed retry when attempts remain; the messages of the batch are deleted with one XDEL
  per stream. A run of a dynamic task deleted meanwhile is only acknowledged: nothing is written for a task
  whose definition is gone (no state hash, no history a later task could inherit).
  KEYS[1] stream high   KEYS[2] stream normal   KEYS[3] one-off ZSET   KEYS[4] data generation STRING
  KEYS[5] dynamic definitions HASH
  ARGV[1] consumer group   ARGV[2] task state key prefix   ARGV[3] task history key prefix
  ARGV[4] history max entries   ARGV[5] history TTL (s)
  ARGV[6] item count, then per item (layout COMPLETE_RUNS_ARGS in src/wire/script-args.ts):
    worker id, priority ('h' | 'n'), message id, taskId, status ('success' | 'failed'), started at (ms),
    duration (s), error message, slot (ms), attempt, run kind, data generation of the run ('' when unknown),
    dynamic task ('1' | '0'), the run's lease limit (server ms its last start or renewal here set, '' when
    none: a run whose message is gone with its data is recorded only before it; it may have been recovered
    and recorded elsewhere before the wipe otherwise), the run's own kwargs (JSON text, '' when none: recorded,
    and kept by its retry), the failure's stack trace ('' when none; cut by the caller,
    src/wire/history-entry.ts), backoff start (s), backoff max (s), backoff multiplier, max attempts
  Output: per item, 1 recorded; 2 recorded although its message vanished with its data (FLUSHALL, Redis
          restarted empty: the run's generation is gone); 0 not recorded: another worker took the run over (its
          lease had expired); 3 not recorded: its dynamic task was deleted.
]]
--- @include "server-time"
--- @include "generation"
--- @include "run-tag"
--- @include "one-off-entry"
--- @include "item-args"
local rcall = redis.call
local group, statePrefix, historyPrefix = ARGV[1], ARGV[2], ARGV[3]
local historyMax, historyTtl = ARGV[4], tonumber(ARGV[5])
local now
local function nowMs()
  now = now or serverTimeMs()
  return now
end

-- Whether this very completion was carried out before: a completion can be sent twice (ioredis re-sends a
-- command whose reply was lost with its connection; the run lifecycle retries one that timed out). Its
-- history entry (same worker, start time, slot and attempt) is then there already.
local function recordedBefore(historyKey, run)
  for _, entry in ipairs(rcall('XREVRANGE', historyKey, '+', '-', 'COUNT', historyMax)) do
    local f = entry[2]
    local found = {}
    for j = 1, #f, 2 do found[f[j]] = f[j + 1] end
    if found.ts == run.startedAt and found.w == run.workerId and found.s == run.slot and found.a == run.attempt then
      return true
    end
  end
  return false
end

-- Whether the run's message was still pending (acknowledged now), else (sent again, or taken over) the
-- outcome of this completion: 1 or 2 recorded before, 0 taken over, or 2 (go on: its data was wiped).
local function acknowledge(stream, historyKey, run)
  -- (XACK fails on a stream recreated by a publish before its consumer group was: the group is gone.)
  local ok, acked = pcall(rcall, 'XACK', stream, group, run.messageId)
  if ok and acked == 1 then return nil end
  -- Sent again: answer what the first one did, and write nothing twice.
  if recordedBefore(historyKey, run) then
    if run.generation ~= '' and wipedSince(KEYS[4], run.generation) then return 2, true end
    return 1, true
  end
  local takenOver
  if run.generation ~= '' then
    takenOver = not keptThroughWipe(KEYS[4], run.generation, nowMs(), leaseLimit(run.messageId, nil, run.leaseUntil))
  else
    -- (A run published without a generation: taken over unless its consumer group is gone.)
    takenOver = false
    if ok and rcall('EXISTS', stream) == 1 then
      for _, info in ipairs(rcall('XINFO', 'GROUPS', stream)) do
        for j = 1, #info, 2 do
          if info[j] == 'name' and info[j + 1] == group then takenOver = true end
        end
      end
    end
  end
  if takenOver then return 0, true end
  return 2, false
end

-- The messages to delete, per stream (one XDEL each at the end).
local deleted = { [KEYS[1]] = {}, [KEYS[2]] = {} }

-- Records one run's outcome; returns its result code.
local function complete(run)
  local stream = streamOf(run.priority, KEYS[1], KEYS[2])
  local historyKey = historyPrefix .. run.taskId
  local result, final = acknowledge(stream, historyKey, run)
  if final then return result end
  result = result or 1
  local ids = deleted[stream]
  ids[#ids + 1] = run.messageId
  if run.dynamic == '1' and rcall('HEXISTS', KEYS[5], run.taskId) == 0 then return 3 end
  local stateKey = statePrefix .. run.taskId
  local tag = runTag(run.priority, run.messageId)
  -- History fields written only when present (src/wire/history-entry.ts): kwargs override, stack trace.
  local optionalFields = {}
  if run.kwargs ~= '' then
    optionalFields[#optionalFields + 1] = 'kw'
    optionalFields[#optionalFields + 1] = run.kwargs
  end
  if run.stack ~= '' then
    optionalFields[#optionalFields + 1] = 'es'
    optionalFields[#optionalFields + 1] = run.stack
  end
  local state = rcall('HMGET', stateKey, 'inflight', 'running_by', 'retry_delay', 'history_ttl_at')
  if state[1] == tag then rcall('HDEL', stateKey, 'inflight') end
  rcall('XADD', historyKey, 'MAXLEN', historyMax, '*', 'ts', run.startedAt, 'd', run.duration, 'st', run.status,
    'e', run.error, 'w', run.workerId, 's', run.slot, 'a', run.attempt, 'k', run.kind, unpack(optionalFields))
  -- One HSET: outcome, and the running marker released (running_until 0) when this run holds it.
  local fields = { 'last_status', run.status, 'last_run', run.startedAt }
  -- The history's TTL is refreshed when half of it has elapsed (not on every run): it still expires
  -- `statisticsRedisExpiration` after the task stops running, at most half of that later.
  local seconds = math.floor(tonumber(run.startedAt) / 1000)
  if not state[4] or seconds - tonumber(state[4]) >= historyTtl / 2 then
    rcall('EXPIRE', historyKey, historyTtl)
    fields[#fields + 1] = 'history_ttl_at'
    fields[#fields + 1] = seconds
  end
  if state[2] == tag then
    fields[#fields + 1] = 'running_until'
    fields[#fields + 1] = 0
  end
  if run.status == 'success' then
    if state[3] then rcall('HDEL', stateKey, 'retry_after', 'retry_delay', 'failures') end
  else
    local max = tonumber(run.backoffMax)
    local delay = tonumber(run.backoffStart)
    if state[3] then delay = tonumber(state[3]) * tonumber(run.backoffMultiplier) end
    if delay > max then delay = max end
    local retryAfter = nowMs() + math.floor(delay * 1000)
    for _, v in ipairs({ 'retry_after', retryAfter, 'retry_delay', delay }) do fields[#fields + 1] = v end
    rcall('HINCRBY', stateKey, 'failures', 1)
    if tonumber(run.attempt) < tonumber(run.maxAttempts) then
      rcall('ZADD', KEYS[3], retryAfter, oneOffEntry(run.taskId, run.slot, tonumber(run.attempt) + 1, 'retry', run.kwargs))
    end
  end
  rcall('HSET', stateKey, unpack(fields))
  return result
end

local runs = readItems(6, { 'workerId', 'priority', 'messageId', 'taskId', 'status', 'startedAt', 'duration', 'error',
  'slot', 'attempt', 'kind', 'generation', 'dynamic', 'leaseUntil', 'kwargs', 'stack', 'backoffStart', 'backoffMax',
  'backoffMultiplier', 'maxAttempts' })
local results = {}
for i, run in ipairs(runs) do results[i] = complete(run) end
-- (In slices: unpack's stack is bounded.)
for stream, ids in pairs(deleted) do
  for first = 1, #ids, 1000 do rcall('XDEL', stream, unpack(ids, first, math.min(first + 999, #ids))) end
end
return results
