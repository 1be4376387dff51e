--[[
  Extends the leader lease if it is still ours (compare-and-set); when asked, records the leader's own worker
  heartbeat (its idle heartbeat is skipped while it leads: engineSettings, leaseKeeper.leaderCoversIdleBeat)
  and reports the oldest worker heartbeat, so the leader learns of a dead worker (whose runs must be
  recovered) without polling for it. The check and the extension are one GETEX (a renewal is the most
  frequent command of an idle deployment): a lease found to be another's has then been extended by one TTL
  from now, once, by the leader it deposed, which steps down on this answer. Its holder loses nothing, and
  a holder that died is replaced at most one TTL later.
  KEYS[1] leader
  KEYS[2] workers ZSET, used only when ARGV[3] = '1' (the renewal returns before its first use otherwise): a
    partition's lease in a deployment of several partitions is renewed with ARGV[3] = '0' and passes the
    partition's epoch key here (same slot as its lease, never touched)
  ARGV[1] lease token "<workerId>|<epoch>"
  ARGV[2] lease TTL (ms)
  ARGV[3] '1' to record the leader's heartbeat and report the oldest worker heartbeat
  ARGV[4] the leader's worker id
  ARGV[5] the leader's estimate of the cluster time (ms, from earlier server times), or '' to read the
    server time (TIME) and return it: an idle leader samples the clock every few renewals only
  Output: { 1, oldest worker heartbeat (ms, server time) or -1, server time (ms) or -1 } when renewed;
    { 0, -1, server time or -1 } when the lease is not ours any more.
]]
--- @include "server-time"
local rcall = redis.call
local now, reported = tonumber(ARGV[5]), -1
if ARGV[5] == '' then
  now = serverTimeMs()
  reported = now
end
if rcall('GETEX', KEYS[1], 'PX', ARGV[2]) ~= ARGV[1] then
  return { 0, -1, reported }
end
if ARGV[3] ~= '1' then
  return { 1, -1, reported }
end
rcall('ZADD', KEYS[2], now, ARGV[4])
local oldest = rcall('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return { 1, oldest[2] and tonumber(oldest[2]) or -1, reported }
