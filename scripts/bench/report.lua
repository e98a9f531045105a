-- wrk script: GET one report with the bench user's credentials.
-- BENCH_PATH: the path; BENCH_RANGE: "START/END" (fixed) or "random" (a new range per request,
-- up to one year, within the past year); BENCH_THINK_MS: a pause before each request of a
-- connection (default 0), to measure latency at a steady load below saturation; BENCH_QUERY:
-- parameters appended to each query string (`&interval=day&timezone=Europe/Berlin`).
local path = os.getenv("BENCH_PATH")
local range = os.getenv("BENCH_RANGE") or "random"
wrk.headers["X-User-Id"] = os.getenv("BENCH_USER")
wrk.headers["X-Auth-Token"] = os.getenv("BENCH_TOKEN")

local function iso(ms)
  return os.date("!%Y-%m-%dT%H:%M:%S", math.floor(ms / 1000)) .. string.format(".%03dZ", ms % 1000)
end

local think = tonumber(os.getenv("BENCH_THINK_MS") or "0")
local extra = os.getenv("BENCH_QUERY") or ""

local fixed
if range ~= "random" then
  local s, e = range:match("^(.-)/(.-)$")
  fixed = path .. "?start=" .. s .. "&end=" .. e .. extra
end

local year_ms = 365 * 86400 * 1000
local now_ms = os.time() * 1000

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed or os.time())
end

function request()
  if fixed then
    return wrk.format("GET", fixed)
  end
  local length = math.random(0, year_ms - 1)
  local start = now_ms - year_ms + math.random(0, year_ms - length)
  return wrk.format("GET", path .. "?start=" .. iso(start) .. "&end=" .. iso(start + length) .. extra)
end

-- Defined only when pacing: wrk checks whether the script has a delay().
if think > 0 then
  function delay()
    return think
  end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT p50_ms=%.3f p99_ms=%.3f rps=%.0f errors=%d non2xx=%d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
