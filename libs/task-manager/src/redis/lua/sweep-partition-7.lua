--[[
  One step of the leader's sweep of one partition (a deployment of several partitions) of scheduled tasks
  that no live worker declares any more, as sweep-orphans-8 (includes/sweep-schedule.lua), on the
  partition's declarations. The live workers are not read here (the worker registry is the deployment's, in
  another slot) but passed by the caller, read just before: so a pointer whose owner is missing from them
  still counts as declared (its owner may have announced itself since the read), unless the caller asks to
  forget that owner (found missing on two steps in a row). An owner both live and forgotten is live. Nothing
  is noted or removed while a live worker has declared no task set in the partition.
  KEYS[1] leader   KEYS[2] schedule ZSET   KEYS[3] signatures HASH
  KEYS[4] worker task sets HASH (workerId -> digest)   KEYS[5] task sets HASH (digest -> last declared, ms)
  KEYS[6] orphans ZSET (taskId -> first noted, ms)   KEYS[7] dynamic definitions HASH
  ARGV[1] lease token   ARGV[2] grace (ms)   ARGV[3] rank where this step starts ('0': a new pass)
  ARGV[4] entries looked at (no SCAN-family command: entries are read by rank, the pass restarts at 0)
  ARGV[5] task set key prefix   ARGV[6] task state key prefix   ARGV[7] task history key prefix
  ARGV[8] count, then per worker (layout SWEEP_PARTITION_ARGS in src/wire/script-args.ts): workerId, live
          ('1': a live worker, '0': a pointer owner to forget)
  Output: -1 when the token is stale (nothing changed); else { next cursor, { removed task ids } }.
]]
--- @include "server-time"
--- @include "item-args"
--- @include "sweep-schedule"
local rcall = redis.call
if rcall('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local now = serverTimeMs()

local live, forget = {}, {}
for _, worker in ipairs(readItems(8, { 'workerId', 'live' })) do
  if worker.live == '1' then
    live[worker.workerId] = false
  else
    forget[worker.workerId] = true
  end
end
local digests = declaredDigests(KEYS[4], live, function(owner) return forget[owner] == true end)
if not digests then
  return { '0', {} }
end
return sweepSchedule(
  digests,
  { schedule = KEYS[2], signatures = KEYS[3], taskSets = KEYS[5], orphans = KEYS[6], dynamic = KEYS[7] },
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
