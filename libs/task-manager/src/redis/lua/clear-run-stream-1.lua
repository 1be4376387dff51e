--[[
  A repartition's last step on a run stream of the former layout, once its runs were moved (each added to the
  one-off queue of its task's new partition): deletes the entries moved; once the stream holds no entry,
  destroys its consumer groups (the deployment's, recreated by the instances at start; a marker named by the
  caller is kept) and deletes the stream when no group is left. Safe to run again.
  KEYS[1] a run stream of the former layout
  ARGV[1] the consumer group to keep ('' none: the repartition's marker when the stream is also the layout
          marker stream, src/wire/layout-marker.ts)
  ARGV[2..] the ids of the entries moved
  Output: the number of entries left (added meanwhile: the caller moves them too).
]]
local rcall = redis.call
if rcall('EXISTS', KEYS[1]) == 0 then return 0 end
-- (In slices: unpack's stack is bounded.)
for first = 2, #ARGV, 1000 do rcall('XDEL', KEYS[1], unpack(ARGV, first, math.min(first + 999, #ARGV))) end
local left = rcall('XLEN', KEYS[1])
if left > 0 then return left end
local kept = false
for _, fields in ipairs(rcall('XINFO', 'GROUPS', KEYS[1])) do
  for i = 1, #fields, 2 do
    if fields[i] == 'name' then
      if fields[i + 1] == ARGV[1] then
        kept = true
      else
        rcall('XGROUP', 'DESTROY', KEYS[1], fields[i + 1])
      end
    end
  end
end
if not kept then rcall('DEL', KEYS[1]) end
return 0
