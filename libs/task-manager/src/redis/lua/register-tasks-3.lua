--[[
  Puts tasks on the schedule. A task already scheduled with the same signature keeps its slot;
  a new task, or one whose expression / time zone changed, gets the given first slot. A dynamic task
  whose definition is gone (deleted meanwhile by another instance), or is no longer the version the
  entry was computed from (deleted and created again), is left alone: only current definitions write.
  A task never registered before (no signature) that is declared disabled (`@Task(..., { disabled: true })`)
  starts disabled; a task seen before keeps its state (an explicit enable survives restarts).
  KEYS[1] schedule ZSET    KEYS[2] signatures HASH    KEYS[3] dynamic definitions HASH
  ARGV[1] task state key prefix
  ARGV[2] count, then per task (layout REGISTER_TASKS_ARGS in src/wire/script-args.ts): taskId, signature,
    firstSlot (ms), version ('0' static task | '1' dynamic task, any version | the version: SHA-1 hex of the
    stored definition JSON), disabled ('1' declared disabled | '0')
  Output: number of tasks whose schedule entry was created or replaced.
]]
--- @include "item-args"
local rcall = redis.call
local changed = 0
for _, task in ipairs(readItems(2, { 'taskId', 'signature', 'firstSlot', 'version', 'disabled' })) do
  local id, sig, slot, version = task.taskId, task.signature, task.firstSlot, task.version
  local current = true
  if version ~= '0' then
    local definition = rcall('HGET', KEYS[3], id)
    current = definition and (version == '1' or redis.sha1hex(definition) == version)
  end
  local stored = current and rcall('HGET', KEYS[2], id)
  if not current then
    -- deleted (or replaced) elsewhere: leave it to the stored definition
  elseif stored ~= sig then
    if not stored and task.disabled == '1' then rcall('HSET', ARGV[1] .. id, 'disabled', '1') end
    rcall('ZADD', KEYS[1], slot, id)
    rcall('HSET', KEYS[2], id, sig)
    changed = changed + 1
  else
    changed = changed + rcall('ZADD', KEYS[1], 'NX', slot, id)
  end
end
return changed
