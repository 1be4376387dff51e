--[[
  Replaces a dynamic task's definition, atomically, if it is still the version the caller read (a
  compare-and-set on the SHA-1 of the stored JSON); re-plans its schedule entry when its schedule signature
  changed (cron expression or time zone: the entry gets the given first slot, which must still be in the
  future by the server's clock: a request that reached Redis late is refused); optionally enables or disables
  it; marks the definitions changed (a new generation) and tells every instance (change notice) to reload it.
  KEYS[1] dynamic definitions HASH   KEYS[2] schedule ZSET   KEYS[3] signatures HASH   KEYS[4] task state HASH
  ARGV[1] taskId   ARGV[2] expected version (SHA-1 hex of the stored definition read)
  ARGV[3] new definition (JSON)   ARGV[4] schedule signature   ARGV[5] first slot (ms), used when re-planned
  ARGV[6] enabled ('' unchanged | '1' enable | '0' disable)   ARGV[7] change-notice channel   ARGV[8] notice
  ARGV[9] definitions generation STRING key   ARGV[10] new generation (a token never used before)
  ARGV[11] request key (see includes/request-once.lua)
  Output: 1 updated; 0 no dynamic task with that id; -1 its stored definition is another version (changed
          meanwhile); -2 re-planned, but the first slot is not after the server's time now (plan it again).
          Nothing changed on 0, -1 and -2.
  NOTE: the generation and request keys share the deployment's hash tag with every other key.
]]
--- @include "request-once"
--- @include "server-time"
local rcall = redis.call
local previous = previousResult(ARGV[11])
if previous then return tonumber(previous) end
local current = rcall('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
if redis.sha1hex(current) ~= ARGV[2] then return -1 end
local replan = rcall('HGET', KEYS[3], ARGV[1]) ~= ARGV[4]
if replan and tonumber(ARGV[5]) <= serverTimeMs() then return -2 end
rcall('HSET', KEYS[1], ARGV[1], ARGV[3])
if replan then
  rcall('ZADD', KEYS[2], ARGV[5], ARGV[1])
  rcall('HSET', KEYS[3], ARGV[1], ARGV[4])
end
if ARGV[6] == '1' then
  rcall('HDEL', KEYS[4], 'disabled')
elseif ARGV[6] == '0' then
  rcall('HSET', KEYS[4], 'disabled', '1')
end
rcall('SET', ARGV[9], ARGV[10])
rcall('PUBLISH', ARGV[7], ARGV[8])
return remember(ARGV[11], 1)
