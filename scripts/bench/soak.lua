-- wrk script for `make bench-soak`: every report in turn over random ranges (up to one year,
-- within the past year), with the soak user's credentials; counts 200s, documented 503s and
-- anything else (another status, or a 503 with another body).
wrk.headers["X-User-Id"] = os.getenv("SOAK_USER")
wrk.headers["X-Auth-Token"] = os.getenv("SOAK_TOKEN")

local reports = { "department", "source", "status", "tags", "agent" }
local unavailable_body = '{"success":false,"error":"Service unavailable [error-service-unavailable]",'
  .. '"errorType":"error-service-unavailable"}'
local year_ms = 365 * 86400 * 1000
local now_ms = os.time() * 1000
local threads = {}

local function iso(ms)
  return os.date("!%Y-%m-%dT%H:%M:%S", math.floor(ms / 1000)) .. string.format(".%03dZ", ms % 1000)
end

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(seed)
  ok, unavailable, other, n = 0, 0, 0, 0
end

function request()
  n = n + 1
  local length = math.random(0, year_ms - 1)
  local start = now_ms - year_ms + math.random(0, year_ms - length)
  local path = "/api/v1/livechat/analytics/dashboards/conversations-by-" .. reports[n % #reports + 1]
  return wrk.format("GET", path .. "?start=" .. iso(start) .. "&end=" .. iso(start + length))
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  elseif status == 503 and body == unavailable_body then
    unavailable = unavailable + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local ok_sum, unavailable_sum, other_sum = 0, 0, 0
  for _, thread in ipairs(threads) do
    ok_sum = ok_sum + thread:get("ok")
    unavailable_sum = unavailable_sum + thread:get("unavailable")
    other_sum = other_sum + thread:get("other")
  end
  local errors = summary.errors
  io.write(string.format(
    "SOAK requests=%d ok=%d unavailable=%d other=%d socket_errors=%d timeouts=%d "
      .. "rps=%.0f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
    summary.requests, ok_sum, unavailable_sum, other_sum,
    errors.connect + errors.read + errors.write, errors.timeout,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
