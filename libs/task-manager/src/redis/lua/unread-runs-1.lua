--[[
  Undoes the delivery of runs a worker read but will not take: from Redis 7.2 (and on Valkey) a blocked
  XREADGROUP over both run streams is answered from both, up to COUNT entries per stream, i.e. more runs
  than the worker has free slots. Each message still pending is acknowledged, deleted and added again at
  the end of its stream with the same fields, so that any consumer of the group (a blocked one at once)
  reads it; the task's in-flight mark (allowParallel false) follows the run to its new id.
  KEYS[1] the runs' stream
  ARGV[1] consumer group   ARGV[2] priority ('h' | 'n')   ARGV[3] task state key prefix   ARGV[4..] message ids
  Output: the number of runs put back (a message no longer pending, e.g. after a wipe, is skipped).
  NOTE: the state keys share the deployment's hash tag with every other key; they are built from ARGV[3].
]]
--- @include "run-tag"
local rcall = redis.call
local priority = ARGV[2]
local unread = 0
for i = 4, #ARGV do
  local oldId = ARGV[i]
  local entry = rcall('XRANGE', KEYS[1], oldId, oldId)[1]
  if entry and rcall('XACK', KEYS[1], ARGV[1], oldId) == 1 then
    local fields = entry[2]
    rcall('XDEL', KEYS[1], oldId)
    local newId = rcall('XADD', KEYS[1], '*', unpack(fields))
    for j = 1, #fields, 2 do
      if fields[j] == 't' then
        local stateKey = ARGV[3] .. fields[j + 1]
        if rcall('HGET', stateKey, 'inflight') == runTag(priority, oldId) then
          rcall('HSET', stateKey, 'inflight', runTag(priority, newId))
        end
      end
    end
    unread = unread + 1
  end
end
return unread
