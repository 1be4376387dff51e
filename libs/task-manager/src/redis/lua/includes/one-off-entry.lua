-- A member of the one-off queue (src/wire/one-off-entry.ts): the JSON array [taskId, slot, attempt, kind]
-- (slot and attempt as numbers), or [taskId, slot, attempt, kind, kwargs] for a run with its own kwargs (their
-- JSON text, a string; '' or nil: none).
local function oneOffEntry(taskId, slot, attempt, kind, kwargs)
  if kwargs and kwargs ~= '' then
    return cjson.encode({ taskId, tonumber(slot), tonumber(attempt), kind, kwargs })
  end
  return cjson.encode({ taskId, tonumber(slot), tonumber(attempt), kind })
end

-- The run's own kwargs of a one-off member (their JSON text), or nil.
local function oneOffKwargs(member)
  local ok, entry = pcall(cjson.decode, member)
  if ok and type(entry) == 'table' and type(entry[5]) == 'string' and entry[5] ~= '' then return entry[5] end
  return nil
end
