--[[
  Raises a partition's fencing epoch to at least a floor (a repartition: every epoch of the new layout starts
  above every epoch of the former, so that no lease token is ever issued twice). Never lowers it.
  KEYS[1] epoch   counter (acquire-leader-2 increments it on every acquisition)
  ARGV[1] floor
  Output: the epoch now.
]]
local rcall = redis.call
local floor = tonumber(ARGV[1])
local epoch = tonumber(rcall('GET', KEYS[1]) or '0')
if epoch >= floor then return epoch end
rcall('SET', KEYS[1], floor)
return floor
