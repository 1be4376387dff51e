--[[
  Extends the leader lease if it is still ours (compare-and-set), and reports the earliest due time.
  KEYS[1] leader    KEYS[2] schedule ZSET    KEYS[3] one-off ZSET
  ARGV[1] lease token "<workerId>|<epoch>"
  ARGV[2] lease TTL (ms)
  Output: { 1, earliest due ms or -1 } when renewed; { 0 } when the lease is not ours any more.
]]
local rcall = redis.call
if rcall('GET', KEYS[1]) ~= ARGV[1] then
  return { 0 }
end
rcall('PEXPIRE', KEYS[1], ARGV[2])
local earliest = -1
for i = 2, 3 do
  local first = rcall('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  if first[2] then
    local score = tonumber(first[2])
    if earliest < 0 or score < earliest then earliest = score end
  end
end
return { 1, earliest }
