--[[
  One step of the leader's sweep of scheduled tasks that no live worker declares any more (static tasks
  removed from the code). An entry declared by no live worker's task set and backed by no dynamic
  definition is noted with the server time; still so `grace` ms after it was noted, it is removed with its
  signature, state and history. Entries of departed workers and task sets no live worker declared for
  `grace` ms are dropped. Nothing is noted or removed while a live worker has declared no task set. The live
  workers are the members of KEYS[4]; the step itself is includes/sweep-schedule.lua.
  KEYS[1] leader   KEYS[2] schedule ZSET   KEYS[3] signatures HASH   KEYS[4] workers ZSET
  KEYS[5] worker task sets HASH (workerId -> digest)   KEYS[6] task sets HASH (digest -> last declared, ms)
  KEYS[7] orphans ZSET (taskId -> first noted, ms)   KEYS[8] dynamic definitions HASH
  ARGV[1] lease token   ARGV[2] grace (ms)   ARGV[3] rank where this step starts ('0': a new pass)
  ARGV[4] entries looked at (no SCAN-family command: entries are read by rank, the pass restarts at 0)
  ARGV[5] task set key prefix   ARGV[6] task state key prefix   ARGV[7] task history key prefix
  Output: -1 when the token is stale (nothing changed); else { next cursor, { removed task ids } }.
]]
--- @include "server-time"
--- @include "sweep-schedule"
local rcall = redis.call
if rcall('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local now = serverTimeMs()

local live = {}
for _, worker in ipairs(rcall('ZRANGE', KEYS[4], 0, -1)) do
  live[worker] = false
end
-- A pointer of a worker missing from the registry is dropped.
local digests = declaredDigests(KEYS[5], live, function() return true end)
if not digests then
  return { '0', {} }
end
return sweepSchedule(
  digests,
  { schedule = KEYS[2], signatures = KEYS[3], taskSets = KEYS[6], orphans = KEYS[7], dynamic = KEYS[8] },
  {
    now = now,
    grace = tonumber(ARGV[2]),
    start = tonumber(ARGV[3]),
    count = tonumber(ARGV[4]),
    taskSetPrefix = ARGV[5],
    statePrefix = ARGV[6],
    historyPrefix = ARGV[7],
  }
)
