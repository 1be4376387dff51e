--[[
  Records that a worker declares a static task set (the tasks of its code): adds ids to the set, and once
  the set holds all of them, points the worker at it and marks the set declared now. Declared again (every
  reconciliation pass) by a worker that points at it already, it changes nothing: the leader's sweep marks
  the sets of live workers declared at each of its steps (an idle deployment declares all the time: issue 14).
  KEYS[1] the task set SET   KEYS[2] worker task sets HASH (workerId -> digest)
  KEYS[3] task sets HASH (digest -> last declared, ms)
  ARGV[1] workerId   ARGV[2] digest   ARGV[3] size of the whole set   ARGV[4..] task ids to add (any part)
  Output: 1 the set is complete and the worker points at it; 0 ids are missing (send them).
]]
--- @include "server-time"
local rcall = redis.call
if #ARGV > 3 then rcall('SADD', KEYS[1], unpack(ARGV, 4)) end
if rcall('SCARD', KEYS[1]) ~= tonumber(ARGV[3]) then
  return 0
end
if rcall('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then
  rcall('HSET', KEYS[2], ARGV[1], ARGV[2])
  rcall('HSET', KEYS[3], ARGV[2], serverTimeMs())
end
return 1
