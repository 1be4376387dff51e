--[[
  Extends the leader lease if it is still ours (compare-and-set), and reports the oldest worker heartbeat,
  so the leader learns of a dead worker (whose runs must be recovered) without polling for it.
  KEYS[1] leader    KEYS[2] workers ZSET
  ARGV[1] lease token "<workerId>|<epoch>"
  ARGV[2] lease TTL (ms)
  ARGV[3] '1' to report the oldest worker heartbeat
  Output: { 1, oldest worker heartbeat (ms, server time) or -1, server time (ms) } when renewed;
    { 0, -1, server time } when the lease is not ours any more.
]]
--- @include "server-time"
local rcall = redis.call
local now = serverTimeMs()
if rcall('GET', KEYS[1]) ~= ARGV[1] then
  return { 0, -1, now }
end
rcall('PEXPIRE', KEYS[1], ARGV[2])
if ARGV[3] ~= '1' then
  return { 1, -1, now }
end
local oldest = rcall('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return { 1, oldest[2] and tonumber(oldest[2]) or -1, now }
