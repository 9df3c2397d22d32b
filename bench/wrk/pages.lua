-- wrk script for bench/bench_pages.py: one page, optionally rotating cookies.
--
-- Set by the environment (bench_pages.py does this):
--   BENCH_METHOD       GET or POST (default GET)
--   BENCH_PATH         the path to request, e.g. /caseload/
--   BENCH_EXPECT       the status every answer must have, e.g. 200 or 302
--   BENCH_COOKIE       one Cookie header for every request (optional)
--   BENCH_COOKIE_FILE  one Cookie header per line; thread t of n takes lines t, t+n, ...
--                      and goes through its share once (a line used twice is counted)
--   BENCH_THREADS      wrk's -t, so that each thread knows its share
--   BENCH_BODY         request body for POST (form-encoded)
--   BENCH_ORIGIN       Origin header (Django's CSRF check compares it with the host)
--
-- done() prints one line "BENCH_JSON {...}" with requests, duration, errors, the
-- latency percentiles (p50 p90 p95 p99, in microseconds) and the count of answers
-- whose status was not BENCH_EXPECT, which bench_pages.py reads.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local method, path, expect, body, headers
local cookies = nil
local next_cookie = 1
local fixed = nil
-- Globals, not locals: done() reads them from each thread with thread:get().
reused = 0
unexpected = 0
statuses = {}

function init(args)
  method = os.getenv("BENCH_METHOD") or "GET"
  path = os.getenv("BENCH_PATH") or "/"
  expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
  body = os.getenv("BENCH_BODY")
  headers = {}
  local origin = os.getenv("BENCH_ORIGIN")
  if origin and origin ~= "" then
    headers["Origin"] = origin
  end
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  local cookie = os.getenv("BENCH_COOKIE")
  if cookie and cookie ~= "" then
    headers["Cookie"] = cookie
  end
  local file = os.getenv("BENCH_COOKIE_FILE")
  if file and file ~= "" then
    local n = tonumber(os.getenv("BENCH_THREADS") or "1")
    cookies = {}
    local i = 0
    for line in io.lines(file) do
      if i % n == id then
        table.insert(cookies, line)
      end
      i = i + 1
    end
  end
  if not cookies then
    -- The same request every time: build it once.
    fixed = wrk.format(method, path, headers, body)
  end
end

function request()
  if fixed then
    return fixed
  end
  if next_cookie > #cookies then
    next_cookie = 1
    reused = reused + 1
  end
  headers["Cookie"] = cookies[next_cookie]
  next_cookie = next_cookie + 1
  return wrk.format(method, path, headers, body)
end

function response(status, resp_headers, resp_body)
  if status ~= expect then
    unexpected = unexpected + 1
    local key = tostring(status)
    statuses[key] = (statuses[key] or 0) + 1
  end
end

function done(summary, latency, requests)
  local unexpected_total = 0
  local wrapped = 0
  local codes = {}
  for _, thread in ipairs(threads) do
    unexpected_total = unexpected_total + (thread:get("unexpected") or 0)
    wrapped = wrapped + (thread:get("reused") or 0)
    local s = thread:get("statuses") or {}
    for k, v in pairs(s) do
      codes[k] = (codes[k] or 0) + v
    end
  end
  local parts = {}
  for k, v in pairs(codes) do
    table.insert(parts, string.format('"%s":%d', k, v))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,' ..
    '"p50":%d,"p90":%d,"p95":%d,"p99":%d},' ..
    '"unexpected":%d,"unexpected_statuses":{%s},"cookie_list_wrapped":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99),
    unexpected_total, table.concat(parts, ","), wrapped))
end
