--[[
  A repartition's removal of tasks from their partition of the former layout, once copied into their new one
  (move-tasks-in-5 answered): schedule entry, signature, dynamic definition, orphan note, state hash and
  history stream. Safe to run again.
  KEYS[1] schedule ZSET   KEYS[2] signatures HASH   KEYS[3] dynamic definitions HASH   KEYS[4] orphans ZSET
  ARGV[1] task state key prefix   ARGV[2] task history key prefix
  ARGV[3] item count, then per item (layout MOVE_TASKS_OUT_ARGS in src/wire/script-args.ts): taskId
  Output: the number of tasks whose schedule entry was removed.
  NOTE: the state and history keys share the partition's hash tag; they are built from ARGV[1] and ARGV[2].
]]
--- @include "item-args"
local rcall = redis.call
local removed = 0
for _, task in ipairs(readItems(3, { 'taskId' })) do
  local id = task.taskId
  removed = removed + rcall('ZREM', KEYS[1], id)
  rcall('HDEL', KEYS[2], id)
  rcall('HDEL', KEYS[3], id)
  rcall('ZREM', KEYS[4], id)
  rcall('DEL', ARGV[1] .. id, ARGV[2] .. id)
end
return removed
