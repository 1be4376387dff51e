--[[
  Takes the leader lease if nobody holds it, with a fresh fencing token.
  KEYS[1] leader   STRING "<workerId>|<epoch>" with a TTL
  KEYS[2] epoch    counter, incremented on every acquisition (the fencing token)
  ARGV[1] workerId
  ARGV[2] lease TTL (ms)
  Output: { epoch, ttl } when acquired; { 0, remaining PTTL of the current lease } otherwise.
]]
local rcall = redis.call
if rcall('EXISTS', KEYS[1]) == 1 then
  return { 0, rcall('PTTL', KEYS[1]) }
end
local epoch = rcall('INCR', KEYS[2])
rcall('SET', KEYS[1], ARGV[1] .. '|' .. epoch, 'PX', ARGV[2])
return { epoch, tonumber(ARGV[2]) }
