-- A run's tag `<priority>|<message id>` (src/wire/run-tag.ts): the value of a task's `inflight` and
-- `running_by` fields. Priority 'h' is the high stream, 'n' the normal one.
local function runTag(priority, id)
  return priority .. '|' .. id
end

-- The priority and message id of a tag.
local function parseRunTag(tag)
  return string.sub(tag, 1, 1), string.sub(tag, 3)
end

-- The stream of a priority, of the script's two run stream keys.
local function streamOf(priority, high, normal)
  return priority == 'h' and high or normal
end
