--[[
  Removes every trace of a task: its schedule entry and signature, its state, its history and its
  persisted dynamic definition.
  KEYS[1] schedule ZSET   KEYS[2] signatures HASH   KEYS[3] task state HASH   KEYS[4] task history STREAM
  ARGV[1] taskId   ARGV[2] dynamic definitions HASH key   ARGV[3] change-notice channel   ARGV[4] notice
  Output: the removed dynamic definition (JSON), or false when the task had none.
]]
local rcall = redis.call
rcall('ZREM', KEYS[1], ARGV[1])
rcall('HDEL', KEYS[2], ARGV[1])
rcall('DEL', KEYS[3], KEYS[4])
local definition = rcall('HGET', ARGV[2], ARGV[1])
rcall('HDEL', ARGV[2], ARGV[1])
rcall('PUBLISH', ARGV[3], ARGV[4])
return definition
