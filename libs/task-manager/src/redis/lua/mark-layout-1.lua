--[[
  Marks the key prefix as used by a deployment of several partitions (wire/layout-marker.ts), unless another
  layout or deployment uses it: checked and created at once, so that a refused instance creates nothing.
  KEYS[1] the normal run stream of the one-partition layout ({prefix}:stream:normal)
  ARGV[1] this deployment's marker group (partitions:<P>)
  Output: the stream's other consumer groups (a deployment of one partition, or the marker of another
  partition count), in which case nothing was written; else an empty array, the marker now on the stream
  (created empty, MKSTREAM, when missing).
]]
local rcall = redis.call
local others = {}
local marked = false
if rcall('EXISTS', KEYS[1]) == 1 then
  for _, fields in ipairs(rcall('XINFO', 'GROUPS', KEYS[1])) do
    for i = 1, #fields, 2 do
      if fields[i] == 'name' then
        if fields[i + 1] == ARGV[1] then marked = true else others[#others + 1] = fields[i + 1] end
      end
    end
  end
end
if #others == 0 and not marked then rcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], '$', 'MKSTREAM') end
return others
