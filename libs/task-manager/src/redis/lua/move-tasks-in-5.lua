--[[
  A repartition's copy of tasks into their partition of the new layout, each as its former partition holds it
  (read just before, one slot away: the caller moves it out once this answered): schedule entry (same slot),
  signature, dynamic definition, orphan note, state hash and history stream (RESTORE of their DUMP, TTL kept).
  Overwrites what an interrupted run copied before, so a run again writes the same. Each state's marks of runs
  in the former layout's streams, whose runs the repartition turned into one-off entries (or which are done),
  are released as a completion releases them: the in-flight mark deleted, the running marker set to 0 (ended).
  A task staying in its partition (same keys) comes with nothing to copy: only its marks are released.
  KEYS[1] schedule ZSET   KEYS[2] signatures HASH   KEYS[3] dynamic definitions HASH   KEYS[4] orphans ZSET
  KEYS[5] dynamic definitions generation STRING
  ARGV[1] task state key prefix   ARGV[2] task history key prefix
  ARGV[3] a new definitions generation (a token never used before), written when a definition was copied
  ARGV[4] item count, then per item (layout MOVE_TASKS_IN_ARGS in src/wire/script-args.ts): taskId, slot (ms),
    signature, definition (JSON), orphan since (ms), state (DUMP), state TTL (ms, 0: none), history (DUMP),
    history TTL (ms, 0: none); '' for what the task does not have
  Output: the number of tasks copied (given something to copy).
  NOTE: the state and history keys share the partition's hash tag; they are built from ARGV[1] and ARGV[2].
]]
--- @include "item-args"
local rcall = redis.call
local copied = 0
local definitions = false
for _, task in ipairs(readItems(4, { 'taskId', 'slot', 'signature', 'definition', 'orphanSince', 'state',
  'stateTtl', 'history', 'historyTtl' })) do
  local id = task.taskId
  local stateKey = ARGV[1] .. id
  local wrote = false
  if task.state ~= '' then
    rcall('RESTORE', stateKey, task.stateTtl, task.state, 'REPLACE')
    wrote = true
  end
  rcall('HDEL', stateKey, 'inflight')
  local running = rcall('HGET', stateKey, 'running_until')
  if running and running ~= '0' then rcall('HSET', stateKey, 'running_until', 0) end
  if task.history ~= '' then
    rcall('RESTORE', ARGV[2] .. id, task.historyTtl, task.history, 'REPLACE')
    wrote = true
  end
  if task.slot ~= '' then
    rcall('ZADD', KEYS[1], task.slot, id)
    wrote = true
  end
  if task.signature ~= '' then
    rcall('HSET', KEYS[2], id, task.signature)
    wrote = true
  end
  if task.definition ~= '' then
    rcall('HSET', KEYS[3], id, task.definition)
    definitions = true
    wrote = true
  end
  if task.orphanSince ~= '' then
    rcall('ZADD', KEYS[4], task.orphanSince, id)
    wrote = true
  end
  if wrote then copied = copied + 1 end
end
if definitions then rcall('SET', KEYS[5], ARGV[3]) end
return copied
