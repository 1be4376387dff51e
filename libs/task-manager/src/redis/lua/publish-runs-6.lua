--[[
  The leader's scheduling step for a batch of due items, atomically: checks the fencing token, then for
  each item checks that it is still due as computed (compare-and-set on its score / member), applies the
  gates (disabled, retry backoff, allowParallel) and publishes its runs while advancing its schedule.
  KEYS[1] leader   KEYS[2] schedule ZSET   KEYS[3] one-off ZSET   KEYS[4] stream high   KEYS[5] stream normal
  KEYS[6] data generation STRING (created by the first publish into an empty deployment; every run carries it)
  ARGV[1] lease token "<workerId>|<epoch>"
  ARGV[2] now (ms, the leader's estimate of the server time: re-queues a deferred one-off a second later)
  ARGV[3] task state key prefix
  ARGV[4] item count, then per item (layout PUBLISH_RUNS_ARGS in src/wire/script-args.ts):
    source ('s' scheduled | 'o' one-off), taskId, expected (score for 's', member for 'o'), nextSlot ('s'),
    priority ('h' | 'n'), allowParallel ('1' | '0'), attempt, kind (run kind), then the list slots: its
    length N and N slots (a one-off item with N = 0 is dropped; a scheduled item with N = 0 only advances)
  A one-off run with its own kwargs (the 5th element of its member, includes/one-off-entry.lua) carries them
  in its message (field w, src/wire/run-message.codec.ts).
  Output: -1 when the token is stale (nothing changed); else { earliest due ms or -1, status per item }
    status: 'published' | 'moved' | 'disabled' | 'backoff' | 'busy' | 'deferred' | 'skipped'
  The retry backoff gates slots, not the moment of publishing: a slot before the task's retry_after is not
  run (the next run is the first slot at or after it), however late the leader publishes it.
]]
--- @include "generation"
--- @include "run-tag"
--- @include "item-args"
--- @include "one-off-entry"
local rcall = redis.call
if rcall('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local now = tonumber(ARGV[2])
local prefix = ARGV[3]

local function inflightAlive(stateKey)
  local inflight = rcall('HGET', stateKey, 'inflight')
  if not inflight then return false end
  local priority, id = parseRunTag(inflight)
  if #rcall('XRANGE', streamOf(priority, KEYS[4], KEYS[5]), id, id) > 0 then return true end
  rcall('HDEL', stateKey, 'inflight')
  return false
end

local generation
local function publish(priority, stateKey, allowParallel, fields)
  local stream = streamOf(priority, KEYS[4], KEYS[5])
  generation = generation or currentGeneration(KEYS[6])
  fields[#fields + 1] = 'g'
  fields[#fields + 1] = generation
  local id = rcall('XADD', stream, '*', unpack(fields))
  if allowParallel == '0' then rcall('HSET', stateKey, 'inflight', runTag(priority, id)) end
end

local items = readItems(4, { 'source', 'taskId', 'expected', 'nextSlot', 'priority', 'allowParallel', 'attempt',
  'kind' }, 'slots')
-- Item order, high-priority items first: a worker blocked on both streams is answered from the stream that
-- gets the first run (before Redis 7.2, from that stream only), so it must be a high-priority one.
local order = {}
local normal = {}
for i, item in ipairs(items) do
  if item.priority == 'h' then order[#order + 1] = i else normal[#normal + 1] = i end
end
for _, i in ipairs(normal) do order[#order + 1] = i end

-- The schedule's scores of the scheduled items, read at once (ZMSCORE), and their advances, written at once
-- at the end (one ZADD): two commands per batch, not two per item. `advanced` holds the scores written
-- meanwhile, so an item whose task came earlier in the batch is checked against its new score.
local scheduled = {}
for _, item in ipairs(items) do
  if item.source == 's' then scheduled[#scheduled + 1] = item.taskId end
end
local scores = {}
for first = 1, #scheduled, 1000 do
  local last = math.min(first + 999, #scheduled)
  local read = rcall('ZMSCORE', KEYS[2], unpack(scheduled, first, last))
  for j = first, last do
    local taskId = scheduled[j]
    if scores[taskId] == nil then scores[taskId] = read[j - first + 1] end
  end
end
local advances = {}
local function advance(taskId, nextSlot)
  scores[taskId] = nextSlot
  advances[#advances + 1] = nextSlot
  advances[#advances + 1] = taskId
end

local statuses = {}
for _, i in ipairs(order) do
  local item = items[i]
  local source, taskId, expected, nextSlot = item.source, item.taskId, item.expected, item.nextSlot
  local priority, allowParallel, attempt, runKind = item.priority, item.allowParallel, item.attempt, item.kind
  local slots = item.slots
  local slotCount = #slots
  local stateKey = prefix .. taskId
  local status
  if source == 's' then
    if scores[taskId] ~= expected then
      status = 'moved'
    else
      local state = rcall('HMGET', stateKey, 'disabled', 'retry_after')
      local retryAfter = tonumber(state[2] or '0')
      if state[1] then
        status = 'disabled'
      elseif slotCount == 0 then
        status = 'skipped'
      elseif tonumber(slots[slotCount]) < retryAfter then
        status = 'backoff'
      else
        status = 'published'
        local first = true
        for s = 1, slotCount do
          local slot = slots[s]
          if tonumber(slot) >= retryAfter then
            if allowParallel == '0' and inflightAlive(stateKey) then
              if first then status = 'busy' end
              break
            end
            publish(priority, stateKey, allowParallel, { 't', taskId, 's', slot, 'a', attempt, 'k', runKind })
            first = false
          end
        end
      end
      advance(taskId, nextSlot)
    end
  else
    if not rcall('ZSCORE', KEYS[3], expected) then
      status = 'moved'
    elseif slotCount == 0 then
      rcall('ZREM', KEYS[3], expected)
      status = 'skipped'
    elseif rcall('HGET', stateKey, 'disabled') then
      rcall('ZREM', KEYS[3], expected)
      status = 'disabled'
    elseif allowParallel == '0' and inflightAlive(stateKey) then
      rcall('ZADD', KEYS[3], now + 1000, expected)
      status = 'deferred'
    else
      rcall('ZREM', KEYS[3], expected)
      local fields = { 't', taskId, 's', slots[1], 'a', attempt, 'k', runKind }
      local kwargs = oneOffKwargs(expected)
      if kwargs then
        fields[#fields + 1] = 'w'
        fields[#fields + 1] = kwargs
      end
      publish(priority, stateKey, allowParallel, fields)
      status = 'published'
    end
  end
  statuses[i] = status
end

-- (Both in slices: unpack's stack is bounded.)
for first = 1, #advances, 2000 do
  rcall('ZADD', KEYS[2], unpack(advances, first, math.min(first + 1999, #advances)))
end

local earliest = -1
for i = 2, 3 do
  local first = rcall('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
  if first[2] then
    local score = tonumber(first[2])
    if earliest < 0 or score < earliest then earliest = score end
  end
end
return { earliest, statuses }
