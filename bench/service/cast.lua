-- wrk script: the voter's journey, for throughput (issue 18, targets 4 and 5).
--
-- Each wrk thread holds ONE connection (run wrk with -t equal to -c): wrk calls
-- request() and response() per thread, not per connection, so a journey of four requests
-- (code page, code, ballot page, cast) can keep its state (session cookie, CSRF token)
-- only when the thread has one connection. The voters come from a file written by
-- bench/service/wrk.py, one line each: "<code>\t<the ballot form, url-encoded>"; thread n
-- of N takes the lines n, n + N, n + 2N, ... Each thread appends the trackers it was given
-- to <out>.<n>, and its counts to <out>.<n>.counts when wrk stops.
--
--   wrk -t 50 -c 50 -d 30s --latency -s bench/service/cast.lua http://127.0.0.1:PORT \
--       -- ELECTION VOTERS_FILE OUT_PREFIX THREADS

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  eid, voters_file, out_prefix = args[1], args[2], args[3]
  local n = tonumber(args[4]) -- the number of threads (setup() runs before all exist)
  voters = {}
  local i = 0
  for line in io.lines(voters_file) do
    if i % n == id then
      local code, form = line:match("^([^\t]+)\t(.*)$")
      table.insert(voters, { code = code, form = form })
    end
    i = i + 1
  end
  next_voter, step, cookie, csrf = 1, 0, nil, nil
  cast, errors, idle, already = 0, 0, 0, 0
  trackers = io.open(out_prefix .. "." .. id, "w")
end

local function with_cookie(h)
  h = h or {}
  if cookie then h["Cookie"] = cookie end
  return h
end

function request()
  if step == 0 then
    if next_voter > #voters then
      idle = idle + 1 -- the roll is used up: a cheap page, counted apart
      return wrk.format("GET", "/static/style.css")
    end
    cookie, csrf = nil, nil
    return wrk.format("GET", "/e/" .. eid .. "/vote")
  elseif step == 1 then
    local v = voters[next_voter]
    return wrk.format("POST", "/e/" .. eid .. "/vote",
      with_cookie({ ["Content-Type"] = "application/x-www-form-urlencoded" }),
      "csrf=" .. csrf .. "&code=" .. v.code)
  elseif step == 2 then
    return wrk.format("GET", "/e/" .. eid .. "/ballot", with_cookie())
  else
    local v = voters[next_voter]
    return wrk.format("POST", "/e/" .. eid .. "/cast",
      with_cookie({ ["Content-Type"] = "application/x-www-form-urlencoded" }),
      "csrf=" .. csrf .. "&" .. v.form)
  end
end

local function fail()
  errors = errors + 1
  step = 0
  next_voter = next_voter + 1 -- never retried: a retry could double a cast
end

function response(status, headers, body)
  if step == 0 and next_voter > #voters then return end
  local set = headers["Set-Cookie"] or headers["set-cookie"]
  if set then cookie = set:match("^([^;]+)") end
  if step == 0 or step == 2 then
    csrf = body:match('name="csrf" value="([^"]+)"')
    if status ~= 200 or not csrf then return fail() end
    step = step + 1
  elseif step == 1 then
    if status == 409 then -- already voted (a re-run on the same roll)
      already = already + 1
      step, next_voter = 0, next_voter + 1
      return
    end
    if status ~= 303 then return fail() end
    step = 2
  else
    local t = body:match('class="tracker">([0-9a-f]+)<')
    if status ~= 200 or not t then return fail() end
    trackers:write(t, "\n")
    trackers:flush()
    cast = cast + 1
    step, next_voter = 0, next_voter + 1
  end
end

function done(summary, latency, requests)
  local total = { cast = 0, errors = 0, idle = 0, already = 0 }
  for _, t in ipairs(threads) do
    for k, _ in pairs(total) do total[k] = total[k] + (t:get(k) or 0) end
  end
  local out_prefix = threads[1]:get("out_prefix")
  local f = io.open(out_prefix .. ".summary", "w")
  f:write(string.format(
    '{"ballots_cast": %d, "errors": %d, "idle_requests": %d, "already_voted": %d, ' ..
    '"requests": %d, "duration_s": %.3f, "socket_errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "status": %d}, "request_latency_ms": ' ..
    '{"p50": %.1f, "p90": %.1f, "p99": %.1f, "max": %.1f, "mean": %.1f}}\n',
    total.cast, total.errors, total.idle, total.already, summary.requests,
    summary.duration / 1e6, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
  f:close()
end
