-- The items of a multi-item script, whose layout is declared in src/wire/script-args.ts: ARGV[at] is the
-- item count, then per item one value per name of `fields`, in order; with a `list` name, then the list's
-- length and its values. Returns the items, each a table by field name (and its list under `list`).
local function readItems(at, fields, list)
  local items = {}
  local p = at + 1
  for i = 1, tonumber(ARGV[at]) do
    local item = {}
    for f = 1, #fields do item[fields[f]] = ARGV[p + f - 1] end
    p = p + #fields
    if list then
      local n = tonumber(ARGV[p])
      local values = {}
      for v = 1, n do values[v] = ARGV[p + v] end
      item[list] = values
      p = p + 1 + n
    end
    items[i] = item
  end
  return items
end
