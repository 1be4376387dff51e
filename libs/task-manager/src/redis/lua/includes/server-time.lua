-- The server's time in milliseconds (Redis TIME): the one clock of the cluster.
local function serverTimeMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
