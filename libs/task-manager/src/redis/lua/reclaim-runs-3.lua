--[[
  The leader's recovery step: runs whose lease expired (their message was not touched by its owner's
  heartbeat for longer than the lease TTL: the owner died) are re-published, so that a live worker runs
  them once. Runs whose owner is alive are never touched, however long they run.
  KEYS[1] leader   KEYS[2] stream high   KEYS[3] stream normal
  ARGV[1] lease token "<workerId>|<epoch>"   ARGV[2] consumer group   ARGV[3] lease TTL (ms)
  ARGV[4] max runs per stream   ARGV[5] task state key prefix   ARGV[6] reclaimer consumer name
  Output: -1 when the token is stale; else the list of re-published task ids.
]]
local rcall = redis.call
if rcall('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local reclaimed = {}
for k = 2, 3 do
  local priority = k == 2 and 'h' or 'n'
  local ok, claimed = pcall(rcall, 'XAUTOCLAIM', KEYS[k], ARGV[2], ARGV[6], ARGV[3], '0-0', 'COUNT', ARGV[4])
  if ok then
    for _, entry in ipairs(claimed[2]) do
      local oldId, fields = entry[1], entry[2]
      local taskId
      for j = 1, #fields, 2 do
        if fields[j] == 't' then taskId = fields[j + 1] end
      end
      local newId = rcall('XADD', KEYS[k], '*', unpack(fields))
      rcall('XACK', KEYS[k], ARGV[2], oldId)
      rcall('XDEL', KEYS[k], oldId)
      if taskId then
        local stateKey = ARGV[5] .. taskId
        if rcall('HGET', stateKey, 'inflight') == priority .. '|' .. oldId then
          rcall('HSET', stateKey, 'inflight', priority .. '|' .. newId)
        end
        reclaimed[#reclaimed + 1] = taskId
      end
    end
  end
end
return reclaimed
