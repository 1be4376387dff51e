--[[
  Puts tasks on the schedule. A task already scheduled with the same signature keeps its slot;
  a new task, or one whose expression / time zone changed, gets the given first slot. A dynamic task
  whose definition is gone (deleted meanwhile by another instance) is not put back.
  KEYS[1] schedule ZSET    KEYS[2] signatures HASH    KEYS[3] dynamic definitions HASH
  ARGV[1] count, then per task: taskId, signature, first slot (ms), dynamic ('1' | '0')
  Output: number of tasks whose schedule entry was created or replaced.
]]
local rcall = redis.call
local changed = 0
for i = 0, tonumber(ARGV[1]) - 1 do
  local id, sig, slot, dynamic = ARGV[2 + i * 4], ARGV[3 + i * 4], ARGV[4 + i * 4], ARGV[5 + i * 4]
  if dynamic == '1' and rcall('HEXISTS', KEYS[3], id) == 0 then
    -- deleted elsewhere: leave it off the schedule
  elseif rcall('HGET', KEYS[2], id) ~= sig then
    rcall('ZADD', KEYS[1], slot, id)
    rcall('HSET', KEYS[2], id, sig)
    changed = changed + 1
  else
    changed = changed + rcall('ZADD', KEYS[1], 'NX', slot, id)
  end
end
return changed
