--[[
  Switches the layout marker of a key prefix (src/wire/layout-marker.ts) for a repartition, if the consumer
  groups of its stream are still those the caller read (compare-and-set against an instance creating its group
  meanwhile): removes one group, adds another, and deletes the stream once it holds neither entry nor group.
  A second run of the same switch (a re-sent command, a repartition run again) finds it done and answers so.
  KEYS[1] the layout marker stream ({prefix}:stream:normal, the one-partition layout's normal run stream)
  ARGV[1] group to remove ('' none)   ARGV[2] group to add ('' none)
  ARGV[3..] the groups the caller read on the stream (the expected state)
  Output: an empty array when switched (or found switched); else the groups found, nothing written.
]]
local rcall = redis.call
local remove, add = ARGV[1], ARGV[2]
local current = {}
local exists = rcall('EXISTS', KEYS[1]) == 1
if exists then
  for _, fields in ipairs(rcall('XINFO', 'GROUPS', KEYS[1])) do
    for i = 1, #fields, 2 do
      if fields[i] == 'name' then current[#current + 1] = fields[i + 1] end
    end
  end
end

-- Whether the groups `names` are exactly the set `expected` (a table name -> true).
local function isSet(names, expected)
  local count = 0
  for _ in pairs(expected) do count = count + 1 end
  if count ~= #names then return false end
  for _, name in ipairs(names) do
    if not expected[name] then return false end
  end
  return true
end

local before, after = {}, {}
for i = 3, #ARGV do
  before[ARGV[i]] = true
  after[ARGV[i]] = true
end
if remove ~= '' then after[remove] = nil end
if add ~= '' then after[add] = true end

if not isSet(current, after) then
  if not isSet(current, before) then return current end
  if remove ~= '' and before[remove] then rcall('XGROUP', 'DESTROY', KEYS[1], remove) end
  if add ~= '' then
    rcall('XGROUP', 'CREATE', KEYS[1], add, '$', 'MKSTREAM')
    exists = true
  end
end
if exists and next(after) == nil and rcall('XLEN', KEYS[1]) == 0 then rcall('DEL', KEYS[1]) end
return {}
