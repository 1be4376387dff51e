--[[
  Deletes the run history of tasks, and forgets when each history's TTL was last refreshed (so the next run
  sets it again on the new history).
  KEYS[1] the first task's history STREAM (routes the script to the node serving the deployment's slot on
          Redis Cluster; every script declares at least one key)
  ARGV[1] task state key prefix   ARGV[2] task history key prefix
  ARGV[3] count, then per task (layout CLEAR_HISTORY_ARGS in src/wire/script-args.ts): taskId
  Output: number of histories deleted.
  NOTE: the keys share the deployment's hash tag with every other key; they are built from ARGV[1] and ARGV[2].
]]
--- @include "item-args"
local rcall = redis.call
local deleted = 0
for _, task in ipairs(readItems(3, { 'taskId' })) do
  local taskId = task.taskId
  deleted = deleted + rcall('UNLINK', ARGV[2] .. taskId)
  rcall('HDEL', ARGV[1] .. taskId, 'history_ttl_at')
end
return deleted
