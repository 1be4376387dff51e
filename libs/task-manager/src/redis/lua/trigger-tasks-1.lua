--[[
  Queues an immediate one-off run of each task and clears its retry backoff; the regular schedule is
  untouched. Wakes the leader through the change-notice channel.
  KEYS[1] one-off ZSET
  ARGV[1] task state key prefix   ARGV[2] change-notice channel ('' with several partitions: their caller
  says it once)   ARGV[3] notice
  ARGV[4] request key (see includes/request-once.lua: a re-sent trigger queues no second run)
  ARGV[5] the runs' own kwargs (JSON text; '' for none: they run with their task's)
  ARGV[6] count, then per task (layout TRIGGER_TASKS_ARGS in src/wire/script-args.ts): taskId
  The runs are due now in server time (the cluster's one clock), whatever the caller's clock says; their
  slot is never a cron slot (includes/trigger-slot.lua).
  Output: number of runs queued.
]]
--- @include "server-time"
--- @include "request-once"
--- @include "trigger-slot"
--- @include "one-off-entry"
--- @include "item-args"
local rcall = redis.call
local previous = previousResult(ARGV[4])
if previous then return tonumber(previous) end
local slot = triggerSlot(serverTimeMs())
local tasks = readItems(6, { 'taskId' })
for _, task in ipairs(tasks) do
  rcall('HDEL', ARGV[1] .. task.taskId, 'retry_after', 'retry_delay', 'failures')
  rcall('ZADD', KEYS[1], slot, oneOffEntry(task.taskId, slot, 1, 'trigger', ARGV[5]))
end
if ARGV[2] ~= '' then rcall('PUBLISH', ARGV[2], ARGV[3]) end
return remember(ARGV[4], #tasks)
