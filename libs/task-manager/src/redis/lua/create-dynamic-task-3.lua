--[[
  Persists a dynamic task and puts it on the schedule, atomically, unless one with that id exists;
  then tells every instance (change notice) so that they load it.
  KEYS[1] dynamic definitions HASH   KEYS[2] schedule ZSET   KEYS[3] signatures HASH
  ARGV[1] taskId   ARGV[2] definition (JSON)   ARGV[3] schedule signature   ARGV[4] first slot (ms)
  ARGV[5] change-notice channel   ARGV[6] notice
  Output: 1 created; 0 a dynamic task with that id already exists (nothing changed).
]]
local rcall = redis.call
if rcall('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  return 0
end
rcall('ZADD', KEYS[2], ARGV[4], ARGV[1])
rcall('HSET', KEYS[3], ARGV[1], ARGV[3])
rcall('PUBLISH', ARGV[5], ARGV[6])
return 1
