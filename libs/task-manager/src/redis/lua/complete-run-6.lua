--[[
  Records the outcome of a run and releases it, atomically: XACK + XDEL of its message, release of its
  running marker and in-flight mark, a capped + expiring history entry, the retry backoff state, and a
  delayed retry when attempts remain. A run of a dynamic task deleted meanwhile is only acknowledged: nothing
  is written for a task whose definition is gone (no state hash, no history a later task could inherit).
  KEYS[1] the run's stream   KEYS[2] task state HASH   KEYS[3] task history STREAM   KEYS[4] one-off ZSET
  KEYS[5] data generation STRING   KEYS[6] dynamic definitions HASH
  ARGV[1] consumer group   ARGV[2] message id   ARGV[3] priority ('h' | 'n')   ARGV[4] status ('success' | 'failed')
  ARGV[5] started at (ms)   ARGV[6] duration (s)   ARGV[7] error message   ARGV[8] worker id
  ARGV[9] slot (ms)   ARGV[10] attempt   ARGV[11] history max entries   ARGV[12] history TTL (s)
  ARGV[13] backoff start (s)   ARGV[14] backoff max (s)   ARGV[15] backoff multiplier   ARGV[16] max attempts
  ARGV[17] taskId   ARGV[18] run kind   ARGV[19] data generation of the run ('' when unknown)
  ARGV[20] dynamic task ('1' | '0')   ARGV[21] the run's lease limit (server ms its last start or renewal
  here set, '' when none): a run whose message is gone with its data is recorded only before it (it may
  have been recovered and recorded elsewhere before the wipe otherwise)
  ARGV[22] the run's own kwargs (JSON text, '' when none: recorded, and kept by its retry)
  ARGV[23] the failure's stack trace ('' when none; cut by the caller, src/wire/history-entry.ts)
  Output: 1 recorded; 2 recorded although its message vanished with its data (FLUSHALL, Redis restarted
          empty: the run's generation is gone); 0 not recorded: another worker took the run over (its lease
          had expired); 3 not recorded: its dynamic task was deleted.
]]
--- @include "server-time"
--- @include "generation"
--- @include "run-tag"
--- @include "one-off-entry"
local rcall = redis.call
local result = 1

-- Whether this very completion was carried out before: a completion can be sent twice (ioredis re-sends a
-- command whose reply was lost with its connection; the run lifecycle retries one that timed out). Its
-- history entry (same worker, start time, slot and attempt) is then there already.
local function recordedBefore()
  for _, entry in ipairs(rcall('XREVRANGE', KEYS[3], '+', '-', 'COUNT', ARGV[11])) do
    local f = entry[2]
    local found = {}
    for j = 1, #f, 2 do found[f[j]] = f[j + 1] end
    if found.ts == ARGV[5] and found.w == ARGV[8] and found.s == ARGV[9] and found.a == ARGV[10] then
      return true
    end
  end
  return false
end
-- (XACK fails on a stream recreated by a publish before its consumer group was: the group is gone.)
local ok, acked = pcall(rcall, 'XACK', KEYS[1], ARGV[1], ARGV[2])
if not ok or acked == 0 then
  -- Sent again: answer what the first one did, and write nothing twice.
  if recordedBefore() then
    if ARGV[19] ~= '' and wipedSince(KEYS[5], ARGV[19]) then return 2 end
    return 1
  end
  local takenOver
  if ARGV[19] ~= '' then
    takenOver = not keptThroughWipe(KEYS[5], ARGV[19], serverTimeMs(), leaseLimit(ARGV[2], nil, ARGV[21]))
  else
    -- (A run published without a generation: taken over unless its consumer group is gone.)
    takenOver = false
    if ok and rcall('EXISTS', KEYS[1]) == 1 then
      for _, group in ipairs(rcall('XINFO', 'GROUPS', KEYS[1])) do
        for j = 1, #group, 2 do
          if group[j] == 'name' and group[j + 1] == ARGV[1] then takenOver = true end
        end
      end
    end
  end
  if takenOver then return 0 end
  result = 2
end
rcall('XDEL', KEYS[1], ARGV[2])
if ARGV[20] == '1' and rcall('HEXISTS', KEYS[6], ARGV[17]) == 0 then return 3 end
local tag = runTag(ARGV[3], ARGV[2])
-- History fields written only when present (src/wire/history-entry.ts): kwargs override, stack trace.
local optionalFields = {}
if ARGV[22] and ARGV[22] ~= '' then
  optionalFields[#optionalFields + 1] = 'kw'
  optionalFields[#optionalFields + 1] = ARGV[22]
end
if ARGV[23] and ARGV[23] ~= '' then
  optionalFields[#optionalFields + 1] = 'es'
  optionalFields[#optionalFields + 1] = ARGV[23]
end
local state = rcall('HMGET', KEYS[2], 'inflight', 'running_by', 'retry_delay', 'history_ttl_at')
if state[1] == tag then rcall('HDEL', KEYS[2], 'inflight') end
rcall('XADD', KEYS[3], 'MAXLEN', ARGV[11], '*', 'ts', ARGV[5], 'd', ARGV[6], 'st', ARGV[4], 'e', ARGV[7],
  'w', ARGV[8], 's', ARGV[9], 'a', ARGV[10], 'k', ARGV[18], unpack(optionalFields))
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
  local now = serverTimeMs()
  local max = tonumber(ARGV[14])
  local delay = tonumber(ARGV[13])
  if state[3] then delay = tonumber(state[3]) * tonumber(ARGV[15]) end
  if delay > max then delay = max end
  local retryAfter = now + math.floor(delay * 1000)
  for _, v in ipairs({ 'retry_after', retryAfter, 'retry_delay', delay }) do fields[#fields + 1] = v end
  rcall('HINCRBY', KEYS[2], 'failures', 1)
  if tonumber(ARGV[10]) < tonumber(ARGV[16]) then
    rcall('ZADD', KEYS[4], retryAfter, oneOffEntry(ARGV[17], ARGV[9], tonumber(ARGV[10]) + 1, 'retry', ARGV[22]))
  end
end
rcall('HSET', KEYS[2], unpack(fields))
return result
