-- The runs of a worker's heartbeat (renew-runs-6, renew-partition-runs-4): touches each run message it holds
-- (XCLAIM JUSTID to itself, resetting its idle time, which is the run's lease) and extends the running marker
-- of each started run. A message no longer in the worker's pending list was taken over: the run is lost —
-- unless the data it was published in was wiped (FLUSHALL, Redis restarted empty) and the run cannot have
-- been recovered before the wipe (its lease limit is still ahead): nobody else has it then, it is vanished and
-- its running marker is kept up (the allowParallel gate still sees it). Nothing is written for a dynamic task
-- whose definition is gone (deleted while it runs). Needs the includes "generation" and "run-tag" before it.
--   runs: the items of layout RENEW_RUNS_ARGS / RENEW_PARTITION_RUNS_ARGS (src/wire/script-args.ts)
--   keys: { high = stream, normal = stream, generation = data generation STRING, dynamic = definitions HASH }
--   worker: { group = consumer group, id = worker id, ttl = lease TTL (ms, a number), statePrefix = task
--     state key prefix }
--   now: the server time (ms)
-- Returns the indexes (1-based) of the runs lost, then those of the runs vanished.
local function renewHeld(runs, keys, worker, now)
  local rcall = redis.call
  local lost = {}
  local vanished = {}
  for i, run in ipairs(runs) do
    local taskId, id = run.taskId, run.messageId
    local stream = streamOf(run.priority, keys.high, keys.normal)
    local ok, claimed = pcall(rcall, 'XCLAIM', stream, worker.group, worker.id, 0, id, 'JUSTID')
    local held = ok and #claimed > 0
    if not held and keptThroughWipe(keys.generation, run.generation, now, leaseLimit(id, worker.ttl, run.leaseUntil)) then
      vanished[#vanished + 1] = i
      held = true
    elseif not held then
      lost[#lost + 1] = i
    end
    if held and taskId ~= '' and (run.dynamic ~= '1' or rcall('HEXISTS', keys.dynamic, taskId) == 1) then
      -- Extend our running marker, or take it over when it was released or lapsed (parallel runs).
      local stateKey = worker.statePrefix .. taskId
      local tag = runTag(run.priority, id)
      local state = rcall('HMGET', stateKey, 'running_by', 'running_until')
      if state[1] == tag or tonumber(state[2] or '0') < now then
        rcall('HSET', stateKey, 'running_by', tag, 'running_until', now + worker.ttl)
      end
    end
  end
  return lost, vanished
end
