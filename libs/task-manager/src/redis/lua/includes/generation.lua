-- The data generation: a value written once into an empty deployment (by the first publish after it was
-- created or wiped). Every run carries the generation it was published in, so that a run whose message is
-- gone can tell "taken over" (same generation) from "its data was wiped" (FLUSHALL, Redis restarted empty).
local function currentGeneration(key)
  local generation = redis.call('GET', key)
  if not generation then
    local t = redis.call('TIME')
    generation = t[1] .. '.' .. t[2]
    redis.call('SET', key, generation)
  end
  return generation
end

-- Whether the data a run was published in was wiped since ('' : a run published without a generation).
local function wipedSince(key, runGeneration)
  return runGeneration ~= '' and redis.call('GET', key) ~= runGeneration
end

-- The server time (ms) before which nobody else can have recovered a run this worker holds (recovery needs
-- its lease idle for a whole TTL): one TTL after its publication (its stream id's ms; `ttl` nil: not known
-- here) or `leaseUntil`, the limit its last start or renewal here set ('' : none). Same rule as
-- src/wire/lease-limit.ts.
local function leaseLimit(messageId, ttl, leaseUntil)
  local limit = tonumber(leaseUntil) or 0
  if ttl then limit = math.max(limit, tonumber(string.match(messageId, '^(%d+)')) + ttl) end
  return limit
end

-- Whether a run whose message is gone is still this worker's: its data was wiped (nobody else has it) and
-- it cannot have been recovered elsewhere before the wipe (its lease limit is still ahead).
local function keptThroughWipe(key, runGeneration, now, limit)
  return wipedSince(key, runGeneration) and now < limit
end
