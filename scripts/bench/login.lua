-- wrk script for `make bench-login`: every connection logs in continuously as Rocket.Chat
-- clients do, `POST /api/v1/login` with `{"user": LOGIN_USER, "password": LOGIN_PASSWORD}`
-- (a plain password: the server SHA-256s it, then checks the stored bcrypt of that). The user
-- and password are demo values ([A-Za-z0-9_.-]), so %q quotes them as JSON would.
-- Prints one line: LOGIN p50_ms=… p99_ms=… rps=… errors=… non2xx=…
local body = string.format('{"user":%q,"password":%q}',
  os.getenv("LOGIN_USER") or "", os.getenv("LOGIN_PASSWORD") or "")

wrk.method = "POST"
wrk.path = "/api/v1/login"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  io.write(string.format("LOGIN p50_ms=%.3f p99_ms=%.3f rps=%.1f errors=%d non2xx=%d\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
