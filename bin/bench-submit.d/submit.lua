-- wrk script: dry-run submits, each with a new seed (so each one is a new task, written durably).
-- Each wrk thread has its own Lua state; seeds are thread * 1e9 + a per-thread counter.
local threads = {}
local counter = 0
local base = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  base = (tonumber(tid) or 1) * 1000000000 + os.time() % 100000 * 10000
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local body = '{"provider":"runpod","seed":' .. (base + counter)
    .. ',"job":{"input":{"prompt":"a lighthouse at dusk"}}}'
  return wrk.format("POST", "/api/providers/gpu/submit", nil, body)
end
