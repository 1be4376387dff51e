--[[
  The leader's scheduling step for a batch of due items, atomically: checks the fencing token, then for
  each item checks that it is still due as computed (compare-and-set on its score / member), applies the
  gates (disabled, retry backoff, allowParallel) and publishes its runs while advancing its schedule.
  KEYS[1] leader   KEYS[2] schedule ZSET   KEYS[3] one-off ZSET   KEYS[4] stream high   KEYS[5] stream normal
  ARGV[1] lease token "<workerId>|<epoch>"
  ARGV[2] now (ms, leader clock)
  ARGV[3] task state key prefix
  ARGV[4] item count, then per item:
    kind ('s' scheduled | 'o' one-off), taskId, expected (score for 's', member for 'o'), next slot ('s'),
    priority ('h' | 'n'), allowParallel ('1' | '0'), attempt, run kind, slot count N, N slots
    (a one-off item with N = 0 is dropped; a scheduled item with N = 0 only advances)
  Output: -1 when the token is stale (nothing changed); else { earliest due ms or -1, status per item }
    status: 'published' | 'moved' | 'disabled' | 'backoff' | 'busy' | 'deferred' | 'skipped'
]]
local rcall = redis.call
if rcall('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
local now = tonumber(ARGV[2])
local prefix = ARGV[3]

local function inflightAlive(stateKey)
  local inflight = rcall('HGET', stateKey, 'inflight')
  if not inflight then return false end
  local stream = string.sub(inflight, 1, 1) == 'h' and KEYS[4] or KEYS[5]
  local id = string.sub(inflight, 3)
  if #rcall('XRANGE', stream, id, id) > 0 then return true end
  rcall('HDEL', stateKey, 'inflight')
  return false
end

local function publish(priority, stateKey, allowParallel, fields)
  local stream = priority == 'h' and KEYS[4] or KEYS[5]
  local id = rcall('XADD', stream, '*', unpack(fields))
  if allowParallel == '0' then rcall('HSET', stateKey, 'inflight', priority .. '|' .. id) end
end

-- Item offsets, high-priority items first: a worker blocked on both streams is answered from the stream
-- that gets the first run (before Redis 7.2, from that stream only), so it must be a high-priority one.
local offsets = {}
local normal = {}
local q = 5
for i = 1, tonumber(ARGV[4]) do
  if ARGV[q + 4] == 'h' then offsets[#offsets + 1] = { i, q } else normal[#normal + 1] = { i, q } end
  q = q + 9 + tonumber(ARGV[q + 8])
end
for _, entry in ipairs(normal) do offsets[#offsets + 1] = entry end

local statuses = {}
for _, entry in ipairs(offsets) do
  local i, p = entry[1], entry[2]
  local kind, taskId, expected, nextSlot = ARGV[p], ARGV[p + 1], ARGV[p + 2], ARGV[p + 3]
  local priority, allowParallel, attempt, runKind = ARGV[p + 4], ARGV[p + 5], ARGV[p + 6], ARGV[p + 7]
  local slotCount = tonumber(ARGV[p + 8])
  local stateKey = prefix .. taskId
  local status
  if kind == 's' then
    if rcall('ZSCORE', KEYS[2], taskId) ~= expected then
      status = 'moved'
    else
      local state = rcall('HMGET', stateKey, 'disabled', 'retry_after')
      if state[1] then
        status = 'disabled'
      elseif state[2] and tonumber(state[2]) > now then
        status = 'backoff'
      elseif slotCount == 0 then
        status = 'skipped'
      else
        status = 'published'
        for s = 1, slotCount do
          if allowParallel == '0' and inflightAlive(stateKey) then
            if s == 1 then status = 'busy' end
            break
          end
          publish(priority, stateKey, allowParallel, { 't', taskId, 's', ARGV[p + 8 + s], 'a', attempt, 'k', runKind })
        end
      end
      rcall('ZADD', KEYS[2], nextSlot, taskId)
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
      publish(priority, stateKey, allowParallel, { 't', taskId, 's', ARGV[p + 9], 'a', attempt, 'k', runKind })
      status = 'published'
    end
  end
  statuses[i] = status
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
