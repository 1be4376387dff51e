--[[
  The leader's recovery step: runs whose lease expired (their message was not touched by its owner's
  heartbeat for longer than the lease TTL: the owner died, lost the reply that delivered it, or gave it up)
  are re-published, so that a live worker runs them once. Runs whose owner is alive are never touched,
  however long they run. Scans each stream's pending entries from a cursor (XAUTOCLAIM), so that repeated
  calls reach every entry however many are pending. A run carries how many of its deliveries ended this way
  (field `d`): once that reaches the limit (a poison pill that kills every worker running it), it is not
  re-published but left pending on the reclaimer, for the leader to record as failed.
  KEYS[1] leader   KEYS[2] stream high   KEYS[3] stream normal
  ARGV[1] lease token "<workerId>|<epoch>"   ARGV[2] consumer group   ARGV[3] lease TTL (ms)
  ARGV[4] max runs per stream   ARGV[5] task state key prefix   ARGV[6] reclaimer consumer name
  ARGV[7] cursor of the high stream   ARGV[8] cursor of the normal stream ('0-0': from the start)
  ARGV[9] most deliveries of a run (maxDeliveries)
  Output: -1 when the token is stale; else { next cursor high, next cursor normal, re-published task ids,
    exhausted runs } (a next cursor of '0-0' means the scan of that stream is complete); each exhausted run
    is { priority, message id, fields } (its deliveries are its field `d` + 1).
]]
--- @include "run-tag"
local rcall = redis.call
if rcall('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local reclaimed = {}
local exhausted = {}
local cursors = { '0-0', '0-0' }
for k = 2, 3 do
  local priority = k == 2 and 'h' or 'n'
  local ok, claimed = pcall(rcall, 'XAUTOCLAIM', KEYS[k], ARGV[2], ARGV[6], ARGV[3], ARGV[5 + k], 'COUNT', ARGV[4])
  if ok then
    cursors[k - 1] = claimed[1]
    for _, entry in ipairs(claimed[2]) do
      local oldId, fields = entry[1], entry[2]
      -- A pending entry whose message was deleted comes back without fields (Redis 6.2): only forget it.
      if type(fields) == 'table' then
        local run = {}
        for j = 1, #fields, 2 do run[fields[j]] = fields[j + 1] end
        local deliveries = tonumber(run.d or '0') + 1
        if deliveries >= tonumber(ARGV[9]) then
          -- (Left pending on the reclaimer: recorded as failed by the leader, or claimed again by the next sweep.)
          exhausted[#exhausted + 1] = { priority, oldId, fields }
        else
          rcall('XACK', KEYS[k], ARGV[2], oldId)
          local republished = {}
          for j = 1, #fields, 2 do
            if fields[j] ~= 'd' then
              republished[#republished + 1] = fields[j]
              republished[#republished + 1] = fields[j + 1]
            end
          end
          republished[#republished + 1] = 'd'
          republished[#republished + 1] = deliveries
          local newId = rcall('XADD', KEYS[k], '*', unpack(republished))
          rcall('XDEL', KEYS[k], oldId)
          if run.t then
            local stateKey = ARGV[5] .. run.t
            if rcall('HGET', stateKey, 'inflight') == runTag(priority, oldId) then
              rcall('HSET', stateKey, 'inflight', runTag(priority, newId))
            end
            reclaimed[#reclaimed + 1] = run.t
          end
        end
      else
        rcall('XACK', KEYS[k], ARGV[2], oldId)
      end
    end
  end
end
return { cursors[1], cursors[2], reclaimed, exhausted }
