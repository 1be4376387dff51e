--[[
  Reads the state of tasks, writing nothing: each task's next slot on the schedule, then the given fields of
  its state HASH. One call reads a bounded batch (the caller sends a long list as several calls in one round
  trip, so that no call holds the server long; and `unpack` takes a few thousand values at most).
  KEYS[1] schedule ZSET
  ARGV[1] task state key prefix   ARGV[2] the state HASH's fields to read, space-separated   ARGV[3..] task ids
  Output: JSON text of one flat array: per task, in order, its score on the schedule then the value of each
  field, false where absent (a task without a state HASH reads as all false). JSON rather than a nested
  reply: the client decodes it in one native parse instead of one reply per value.
  NOTE: the state keys share the deployment's hash tag with KEYS[1]; they are built from ARGV[1].
]]
local rcall = redis.call
local prefix = ARGV[1]
local fields = {}
for name in string.gmatch(ARGV[2], '%S+') do fields[#fields + 1] = name end
local width = #fields
local scores = rcall('ZMSCORE', KEYS[1], unpack(ARGV, 3))
local out, n = {}, 0
for i = 3, #ARGV do
  out[n + 1] = scores[i - 2]
  local values = rcall('HMGET', prefix .. ARGV[i], unpack(fields))
  for f = 1, width do out[n + 1 + f] = values[f] end
  n = n + 1 + width
end
return cjson.encode(out)
