--[[
  Takes the leader lease if nobody holds it, with a fresh fencing token.
  KEYS[1] leader   STRING "<workerId>|<epoch>" (src/wire/leader-token.ts) with a TTL
  KEYS[2] epoch    counter, incremented on every acquisition (the fencing token)
  ARGV[1] workerId
  ARGV[2] lease TTL (ms)
  Output: { epoch, ttl, server time (ms) } when acquired; { 0, remaining PTTL of the current lease, server
    time } otherwise (the server time feeds the instance's estimate of the cluster clock). A lease held by
  this worker already (the reply to its acquisition was lost and ioredis re-sent it) is its own: it is
  renewed and reported acquired with its epoch (worker ids are unique per process).
]]
--- @include "server-time"
local rcall = redis.call
local now = serverTimeMs()
local current = rcall('GET', KEYS[1])
if current then
  local prefix = ARGV[1] .. '|'
  if string.sub(current, 1, #prefix) == prefix then
    rcall('PEXPIRE', KEYS[1], ARGV[2])
    return { tonumber(string.sub(current, #prefix + 1)), tonumber(ARGV[2]), now }
  end
  return { 0, rcall('PTTL', KEYS[1]), now }
end
local epoch = rcall('INCR', KEYS[2])
rcall('SET', KEYS[1], ARGV[1] .. '|' .. epoch, 'PX', ARGV[2])
return { epoch, tonumber(ARGV[2]), now }
