--[[
  A worker's heartbeat on the runs it holds in one partition (a deployment of several partitions; the worker
  registry is refreshed apart, by touch-worker-2): renews them as renew-runs-6 does (includes/renew-held.lua:
  each message touched, which is the run's lease, each started run's running marker extended; a run taken
  over is lost, one whose data was wiped meanwhile is vanished and kept). Every key is the partition's.
  KEYS[1] stream high   KEYS[2] stream normal   KEYS[3] data generation STRING   KEYS[4] dynamic definitions HASH
  ARGV[1] consumer group   ARGV[2] worker id   ARGV[3] lease TTL (ms)   ARGV[4] task state key prefix
  ARGV[5] count, then per run (layout RENEW_PARTITION_RUNS_ARGS in src/wire/script-args.ts): priority
          ('h' | 'n'), messageId, taskId ('' when not started), generation (data generation of the run),
          dynamic ('1' | '0'), leaseUntil (server ms its last start or renewal here set, '' when none)
  Output: { server time (ms), indexes (1-based) of the runs lost, indexes of the runs vanished }, as
    renew-runs-6.
]]
--- @include "server-time"
--- @include "generation"
--- @include "run-tag"
--- @include "item-args"
--- @include "renew-held"
local now = serverTimeMs()
local lost, vanished = renewHeld(
  readItems(5, { 'priority', 'messageId', 'taskId', 'generation', 'dynamic', 'leaseUntil' }),
  { high = KEYS[1], normal = KEYS[2], generation = KEYS[3], dynamic = KEYS[4] },
  { group = ARGV[1], id = ARGV[2], ttl = tonumber(ARGV[3]), statePrefix = ARGV[4] },
  now
)
return { now, lost, vanished }
