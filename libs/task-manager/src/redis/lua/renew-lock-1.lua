--[[
  Extends a token lease (the repartition lock) if it is still ours (compare-and-expire).
  KEYS[1] the lock   STRING token with a TTL
  ARGV[1] token   ARGV[2] TTL (ms)
  Output: 1 when renewed, 0 when the lock is gone or another's.
]]
local rcall = redis.call
if rcall('GET', KEYS[1]) ~= ARGV[1] then return 0 end
rcall('PEXPIRE', KEYS[1], ARGV[2])
return 1
