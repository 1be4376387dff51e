-- Runs once per request: ioredis re-sends a command whose reply was lost with its connection, so a script
-- may run twice for one request; the second run answers what the first did. The result of a request that
-- changed something is kept under the request's key for a minute (long enough for any re-send); one that
-- changed nothing (refused) needs no record: a second run answers the same.
local function previousResult(requestKey)
  return redis.call('GET', requestKey)
end

local function remember(requestKey, result)
  redis.call('SET', requestKey, result, 'EX', 60)
  return result
end
