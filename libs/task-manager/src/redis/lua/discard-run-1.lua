--[[
  Drops a run without recording it (its task is not known here, e.g. a dynamic task deleted meanwhile).
  KEYS[1] the run's stream
  ARGV[1] consumer group   ARGV[2] message id
  Output: number of messages acknowledged (0 or 1).
]]
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return acked
