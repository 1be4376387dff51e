--[[
  Persists a dynamic task and puts it on the schedule, atomically, unless one with that id exists or its
  first slot is no longer in the future by the server's clock (the request reached Redis late, e.g. held by
  a frozen link: planned then, that slot may already have run under a task of the same name deleted
  meanwhile); marks the definitions changed (a new generation) and tells every instance (change notice).
  KEYS[1] dynamic definitions HASH   KEYS[2] schedule ZSET   KEYS[3] signatures HASH
  ARGV[1] taskId   ARGV[2] definition (JSON)   ARGV[3] schedule signature   ARGV[4] first slot (ms)
  ARGV[5] change-notice channel   ARGV[6] notice   ARGV[7] definitions generation STRING key
  ARGV[8] new generation (a token never used before)   ARGV[9] request key (see includes/request-once.lua)
  Output: 1 created; 0 a dynamic task with that id already exists; -2 the first slot is not after the server's
          time now (plan it again). Nothing changed on 0 and -2.
  NOTE: the generation and request keys share the deployment's hash tag with every other key.
]]
--- @include "request-once"
--- @include "server-time"
local rcall = redis.call
local previous = previousResult(ARGV[9])
if previous then return tonumber(previous) end
if rcall('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if tonumber(ARGV[4]) <= serverTimeMs() then return -2 end
rcall('HSET', KEYS[1], ARGV[1], ARGV[2])
rcall('ZADD', KEYS[2], ARGV[4], ARGV[1])
rcall('HSET', KEYS[3], ARGV[1], ARGV[3])
rcall('SET', ARGV[7], ARGV[8])
rcall('PUBLISH', ARGV[5], ARGV[6])
return remember(ARGV[9], 1)
