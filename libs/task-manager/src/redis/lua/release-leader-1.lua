--[[
  Gives the leader lease up if it is still ours (compare-and-delete).
  KEYS[1] leader
  ARGV[1] lease token "<workerId>|<epoch>"
  Output: 1 when released, 0 when it was not ours.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
