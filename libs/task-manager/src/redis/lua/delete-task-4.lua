--[[
  Removes every trace of a task: its schedule entry and signature, its state, its history and its
  persisted dynamic definition (then the definitions get a new generation).
  KEYS[1] schedule ZSET   KEYS[2] signatures HASH   KEYS[3] task state HASH   KEYS[4] task history STREAM
  ARGV[1] taskId   ARGV[2] dynamic definitions HASH key   ARGV[3] change-notice channel   ARGV[4] notice
  ARGV[5] definitions generation STRING key   ARGV[6] new generation (a token never used before)
  ARGV[7] request key (see includes/request-once.lua)
  Output: the removed dynamic definition (JSON), or false when the task had none.
  NOTE: the generation and request keys share the deployment's hash tag with every other key.
]]
--- @include "request-once"
local rcall = redis.call
local previous = previousResult(ARGV[7])
if previous then return previous end
rcall('ZREM', KEYS[1], ARGV[1])
rcall('HDEL', KEYS[2], ARGV[1])
rcall('DEL', KEYS[3], KEYS[4])
local definition = rcall('HGET', ARGV[2], ARGV[1])
if definition then
  rcall('HDEL', ARGV[2], ARGV[1])
  rcall('SET', ARGV[5], ARGV[6])
end
rcall('PUBLISH', ARGV[3], ARGV[4])
if definition then remember(ARGV[7], definition) end
return definition
