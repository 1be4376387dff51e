--[[
  A worker's heartbeat: touches every run message it holds (XCLAIM to itself, resetting its idle time,
  which is the run's lease), extends the running markers of its started runs, and refreshes the worker
  registry. A message no longer in the worker's pending list was taken over: it is reported as lost — unless
  the data it was published in was wiped (FLUSHALL, Redis restarted empty) and the run cannot have been
  recovered before the wipe (its lease limit, see leaseLimit in includes/generation.lua, is still ahead):
  nobody else has the run then, it
  is reported as vanished and its running marker is kept up (the allowParallel gate still sees it). Nothing is
  written for a dynamic task whose definition is gone (deleted while it runs).
  KEYS[1] workers ZSET   KEYS[2] stream high   KEYS[3] stream normal   KEYS[4] worker info HASH
  KEYS[5] data generation STRING   KEYS[6] dynamic definitions HASH
  ARGV[1] consumer group   ARGV[2] worker id   ARGV[3] lease TTL (ms)   ARGV[4] task state key prefix
  ARGV[5] worker description (JSON)
  ARGV[6] count, then per run (layout RENEW_RUNS_ARGS in src/wire/script-args.ts): priority ('h' | 'n'),
          messageId, taskId ('' when not started), generation (data generation of the run), dynamic ('1' | '0'),
          leaseUntil (server ms its last start or renewal here set, '' when none)
  Output: { server time (ms), indexes (1-based) of the runs lost, indexes of the runs vanished }. The
    heartbeat is recorded in server time: every worker's last-seen time is on the one cluster clock.
]]
--- @include "server-time"
--- @include "generation"
--- @include "run-tag"
--- @include "item-args"
local rcall = redis.call
local now = serverTimeMs()
local lost = {}
local vanished = {}
for i, run in ipairs(readItems(6, { 'priority', 'messageId', 'taskId', 'generation', 'dynamic', 'leaseUntil' })) do
  local taskId, id = run.taskId, run.messageId
  local stream = streamOf(run.priority, KEYS[2], KEYS[3])
  local ok, claimed = pcall(rcall, 'XCLAIM', stream, ARGV[1], ARGV[2], 0, id, 'JUSTID')
  local held = ok and #claimed > 0
  local ttl = tonumber(ARGV[3])
  if not held and keptThroughWipe(KEYS[5], run.generation, now, leaseLimit(id, ttl, run.leaseUntil)) then
    vanished[#vanished + 1] = i
    held = true
  elseif not held then
    lost[#lost + 1] = i
  end
  if held and taskId ~= '' and (run.dynamic ~= '1' or rcall('HEXISTS', KEYS[6], taskId) == 1) then
    -- Extend our running marker, or take it over when it was released or lapsed (parallel runs).
    local stateKey = ARGV[4] .. taskId
    local tag = runTag(run.priority, id)
    local state = rcall('HMGET', stateKey, 'running_by', 'running_until')
    if state[1] == tag or tonumber(state[2] or '0') < now then
      rcall('HSET', stateKey, 'running_by', tag, 'running_until', now + tonumber(ARGV[3]))
    end
  end
end
rcall('ZADD', KEYS[1], now, ARGV[2])
rcall('HSET', KEYS[4], ARGV[2], ARGV[5])
return { now, lost, vanished }
