-- One step of the leader's sweep of scheduled tasks that no live worker declares any more (sweep-orphans-8,
-- sweep-partition-7), in two parts.

-- The digests of the task sets the workers' pointers name (HASH `pointersKey`: workerId -> digest), or nil
-- when a live worker has declared no task set (nothing is noted or removed then). `live`: a table workerId ->
-- false of the live workers (set to true here for those with a pointer). The pointer of an owner missing from
-- `live` is dropped when `forgotten(owner)`; else it still counts as declared.
local function declaredDigests(pointersKey, live, forgotten)
  local rcall = redis.call
  local digests = {}
  local pointers = rcall('HGETALL', pointersKey)
  for i = 1, #pointers, 2 do
    if live[pointers[i]] ~= nil then
      live[pointers[i]] = true
      digests[pointers[i + 1]] = true
    elseif forgotten(pointers[i]) then
      rcall('HDEL', pointersKey, pointers[i])
    else
      digests[pointers[i + 1]] = true
    end
  end
  for _, declared in pairs(live) do
    if not declared then
      return nil
    end
  end
  return digests
end

-- The rest of the step, given the declared `digests`: marks those task sets declared now and drops the sets
-- nobody declared for `grace` ms; then, over the `count` schedule entries from rank `start`, notes with the
-- server time an entry declared by no set and backed by no dynamic definition, and removes one still so
-- `grace` ms after it was noted, with its signature, state and history.
--   keys: { schedule = ZSET, signatures = HASH, taskSets = HASH (digest -> last declared, ms), orphans = ZSET
--     (taskId -> first noted, ms), dynamic = definitions HASH }
--   step: { now, grace, start, count (numbers), taskSetPrefix, statePrefix, historyPrefix (key prefixes) }
-- Returns { next cursor, { removed task ids } }.
local function sweepSchedule(digests, keys, step)
  local rcall = redis.call
  local now, grace = step.now, step.grace
  local sets = {}
  for digest in pairs(digests) do
    rcall('HSET', keys.taskSets, digest, now)
    sets[#sets + 1] = step.taskSetPrefix .. digest
  end
  local known = rcall('HGETALL', keys.taskSets)
  for i = 1, #known, 2 do
    if not digests[known[i]] and now - tonumber(known[i + 1]) >= grace then
      rcall('DEL', step.taskSetPrefix .. known[i])
      rcall('HDEL', keys.taskSets, known[i])
    end
  end

  local start, count = step.start, step.count
  local entries = rcall('ZRANGE', keys.schedule, start, start + count - 1)
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
  local noted = #entries > 0 and rcall('ZCARD', keys.orphans) > 0
  for i = 1, #entries do
    local id = entries[i]
    if not declared[i] and rcall('HEXISTS', keys.dynamic, id) == 1 then declared[i] = true end
    if declared[i] then
      if noted then rcall('ZREM', keys.orphans, id) end
    else
      local since = rcall('ZSCORE', keys.orphans, id)
      if not since then
        rcall('ZADD', keys.orphans, now, id)
      elseif now - tonumber(since) >= grace then
        rcall('ZREM', keys.schedule, id)
        rcall('HDEL', keys.signatures, id)
        rcall('DEL', step.statePrefix .. id, step.historyPrefix .. id)
        rcall('ZREM', keys.orphans, id)
        removed[#removed + 1] = id
      end
    end
  end
  if #entries == count then
    return { tostring(start + count - #removed), removed }
  end
  -- End of a pass: forget the notes of entries that left the schedule by other means.
  for _, id in ipairs(rcall('ZRANGE', keys.orphans, 0, -1)) do
    if not rcall('ZSCORE', keys.schedule, id) then rcall('ZREM', keys.orphans, id) end
  end
  return { '0', removed }
end
