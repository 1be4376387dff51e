-- The slot of a manual trigger applied at `now` (server ms): never a cron slot (whole seconds), or it would
-- share the slot's run id (task, slot, attempt): a trigger on a whole second takes the next millisecond.
-- Same rule as src/wire/trigger-slot.ts.
local function triggerSlot(now)
  if now % 1000 == 0 then return now + 1 end
  return now
end
