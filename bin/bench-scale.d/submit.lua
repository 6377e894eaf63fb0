-- wrk script for bin/bench-scale: dry-run submits, each with a seed of its own (so each is a new
-- task row), threads spread round-robin over the instances named in $TARGETS (ports).
local addrs = nil
local counter = 0
local threads = {}

function setup(thread)
  if not addrs then
    addrs = {}
    for port in string.gmatch(os.getenv("TARGETS"), "[^,]+") do
      for _, a in ipairs(wrk.lookup("127.0.0.1", port)) do
        table.insert(addrs, a)
      end
    end
  end
  thread:set("tid", counter)
  table.insert(threads, thread)
  thread.addr = addrs[(counter % #addrs) + 1]
  -- the service answers only to its own Host (DNS-rebinding guard): name the instance dialled
  thread:set("host", tostring(thread.addr))
  counter = counter + 1
end

function init(args)
  n = 0
  failures = 0
  failed = ""
  base = tonumber(os.getenv("SEED_BASE") or "0")
end

function request()
  n = n + 1
  local body = string.format(
    '{"provider":"runpod","seed":%d,"job":{"input":{"prompt":"bench"}}}',
    base + tid * 1000000000 + n)
  return wrk.format("POST", "/api/providers/gpu/submit", {["Content-Type"] = "application/json", ["Host"] = host}, body)
end

function response(status, headers, body)
  if status ~= 200 then
    failures = failures + 1
    if failed == "" then
      failed = status .. " " .. string.sub(body, 1, 200)
    end
  end
end

function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    local f = t:get("failures")
    if f and f > 0 then
      io.write(string.format("  thread %d: %d answers not 200, first: %s\n", t:get("tid"), f, t:get("failed")))
    end
  end
end
