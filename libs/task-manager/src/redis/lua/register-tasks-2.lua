--[[
  Puts tasks on the schedule. A task already scheduled with the same signature keeps its slot;
  a new task, or one whose expression / time zone changed, gets the given first slot.
  KEYS[1] schedule ZSET    KEYS[2] signatures HASH
  ARGV[1] count, then per task: taskId, signature, first slot (ms)
  Output: number of tasks whose schedule entry was created or replaced.
]]
local rcall = redis.call
local changed = 0
for i = 0, tonumber(ARGV[1]) - 1 do
  local id, sig, slot = ARGV[2 + i * 3], ARGV[3 + i * 3], ARGV[4 + i * 3]
  if rcall('HGET', KEYS[2], id) ~= sig then
    rcall('ZADD', KEYS[1], slot, id)
    rcall('HSET', KEYS[2], id, sig)
    changed = changed + 1
  else
    changed = changed + rcall('ZADD', KEYS[1], 'NX', slot, id)
  end
end
return changed
