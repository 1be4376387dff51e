--[[
  A worker's heartbeat: renews the runs it holds (includes/renew-held.lua: each message touched, which is the
  run's lease, each started run's running marker extended; a run taken over is lost, one whose data was wiped
  meanwhile is vanished and kept), and refreshes the worker registry.
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
--- @include "renew-held"
local rcall = redis.call
local now = serverTimeMs()
local lost, vanished = renewHeld(
  readItems(6, { 'priority', 'messageId', 'taskId', 'generation', 'dynamic', 'leaseUntil' }),
  { high = KEYS[2], normal = KEYS[3], generation = KEYS[5], dynamic = KEYS[6] },
  { group = ARGV[1], id = ARGV[2], ttl = tonumber(ARGV[3]), statePrefix = ARGV[4] },
  now
)
rcall('ZADD', KEYS[1], now, ARGV[2])
rcall('HSET', KEYS[4], ARGV[2], ARGV[5])
return { now, lost, vanished }
