--[[
  One step of the leader's sweep of scheduled tasks that no live worker declares any more (static tasks
  removed from the code). An entry declared by no live worker's task set and backed by no dynamic
  definition is noted with the server time; still so `grace` ms after it was noted, it is removed with its
  signature, state and history. Entries of departed workers and task sets no live worker declared for
  `grace` ms are dropped. Nothing is noted or removed while a live worker has declared no task set.
  KEYS[1] leader   KEYS[2] schedule ZSET   KEYS[3] signatures HASH   KEYS[4] workers ZSET
  KEYS[5] worker task sets HASH (workerId -> digest)   KEYS[6] task sets HASH (digest -> last declared, ms)
  KEYS[7] orphans ZSET (taskId -> first noted, ms)   KEYS[8] dynamic definitions HASH
  ARGV[1] lease token   ARGV[2] grace (ms)   ARGV[3] rank where this step starts ('0': a new pass)
  ARGV[4] entries looked at (no SCAN-family command: entries are read by rank, the pass restarts at 0)
  ARGV[5] task set key prefix   ARGV[6] task state key prefix   ARGV[7] task history key prefix
  Output: -1 when the token is stale (nothing changed); else { next cursor, { removed task ids } }.
]]
--- @include "server-time"
local rcall = redis.call
if rcall('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local now = serverTimeMs()
local grace = tonumber(ARGV[2])

local live = {}
for _, worker in ipairs(rcall('ZRANGE', KEYS[4], 0, -1)) do
  live[worker] = false
end
local digests = {}
local pointers = rcall('HGETALL', KEYS[5])
for i = 1, #pointers, 2 do
  if live[pointers[i]] == nil then
    rcall('HDEL', KEYS[5], pointers[i])
  else
    live[pointers[i]] = true
    digests[pointers[i + 1]] = true
  end
end
for _, declared in pairs(live) do
  if not declared then
    return { '0', {} }
  end
end

local sets = {}
for digest in pairs(digests) do
  rcall('HSET', KEYS[6], digest, now)
  sets[#sets + 1] = ARGV[5] .. digest
end
local known = rcall('HGETALL', KEYS[6])
for i = 1, #known, 2 do
  if not digests[known[i]] and now - tonumber(known[i + 1]) >= grace then
    rcall('DEL', ARGV[5] .. known[i])
    rcall('HDEL', KEYS[6], known[i])
  end
end

local start, count = tonumber(ARGV[3]), tonumber(ARGV[4])
local entries = rcall('ZRANGE', KEYS[2], start, start + count - 1)
local removed = {}
-- A few commands per step, not per entry (an idle deployment sweeps all the time): the step's entries are
-- looked up in each declared set at once (SMISMEMBER), in the dynamic definitions only when no set declares
-- them, and in the orphan notes only when there are some.
local declared = {}
if #entries > 0 then
  for s = 1, #sets do
    local found = rcall('SMISMEMBER', sets[s], unpack(entries))
    for i = 1, #entries do
      if found[i] == 1 then declared[i] = true end
    end
  end
end
local noted = #entries > 0 and rcall('ZCARD', KEYS[7]) > 0
for i = 1, #entries do
  local id = entries[i]
  if not declared[i] and rcall('HEXISTS', KEYS[8], id) == 1 then declared[i] = true end
  if declared[i] then
    if noted then rcall('ZREM', KEYS[7], id) end
  else
    local since = rcall('ZSCORE', KEYS[7], id)
    if not since then
      rcall('ZADD', KEYS[7], now, id)
    elseif now - tonumber(since) >= grace then
      rcall('ZREM', KEYS[2], id)
      rcall('HDEL', KEYS[3], id)
      rcall('DEL', ARGV[6] .. id, ARGV[7] .. id)
      rcall('ZREM', KEYS[7], id)
      removed[#removed + 1] = id
    end
  end
end
if #entries == count then
  return { tostring(start + count - #removed), removed }
end
-- End of a pass: forget the notes of entries that left the schedule by other means.
for _, id in ipairs(rcall('ZRANGE', KEYS[7], 0, -1)) do
  if not rcall('ZSCORE', KEYS[2], id) then rcall('ZREM', KEYS[7], id) end
end
return { '0', removed }
