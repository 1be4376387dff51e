--[[
  Deletes the run history of tasks, and forgets when each history's TTL was last refreshed (so the next run
  sets it again on the new history).
  KEYS[1] the first task's history STREAM (routes the script to the node serving the deployment's slot on
          Redis Cluster; every script declares at least one key)
  ARGV[1] task state key prefix   ARGV[2] task history key prefix
  ARGV[3] count, then taskIds
  Output: number of histories deleted.
  NOTE: the keys share the deployment's hash tag with every other key; they are built from ARGV[1] and ARGV[2].
]]
local rcall = redis.call
local deleted = 0
for i = 1, tonumber(ARGV[3]) do
  local taskId = ARGV[3 + i]
  deleted = deleted + rcall('UNLINK', ARGV[2] .. taskId)
  rcall('HDEL', ARGV[1] .. taskId, 'history_ttl_at')
end
return deleted
