--[[
  Gives a token lease up if it is still ours (compare-and-delete): the leader lease, or the repartition lock
  (nestjs-task-manager/ops, whose token is its own).
  KEYS[1] leader (or the repartition lock)
  ARGV[1] lease token "<workerId>|<epoch>" (the lock's token)
  Output: 1 when released, 0 when it was not ours.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
