-- wrk script of the bench suites: one request shape, rotating paths, a JSON summary.
--
-- Driven by bench/wrk.py through the environment:
--   WRK_PATHS          file of request paths, one a line; each thread walks them from its
--                      own offset, so every path is asked about equally often
--   WRK_METHOD         GET (default) or POST
--   WRK_BODY           file holding a JSON request body (POST)
--   WRK_AUTHORIZATION  the Authorization header's value, if any (a bearer token)
--   WRK_SUMMARY        where done() writes the JSON summary the runner reads
--
-- Every request is formatted once in init(): request() only picks the next one.

local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

local function read_file(name)
  local file = assert(io.open(name, "rb"))
  local text = file:read("*a")
  file:close()
  return text
end

function init(args)
  local method = os.getenv("WRK_METHOD") or "GET"
  local headers = {}
  local body = nil
  local authorization = os.getenv("WRK_AUTHORIZATION") or ""
  if authorization ~= "" then
    headers["Authorization"] = authorization
  end
  if (os.getenv("WRK_BODY") or "") ~= "" then
    body = read_file(os.getenv("WRK_BODY"))
    headers["Content-Type"] = "application/json"
  end
  prepared = {}
  for path in io.lines(os.getenv("WRK_PATHS")) do
    if path ~= "" then
      table.insert(prepared, wrk.format(method, path, headers, body))
    end
  end
  assert(#prepared > 0, "WRK_PATHS names no path")
  next_index = offset
  statuses = {}
end

function request()
  next_index = next_index + 1
  return prepared[next_index % #prepared + 1]
end

-- Defining response() makes wrk hand over headers and body; the status count is worth it.
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local function json_value(value)
  if type(value) ~= "number" then
    return value -- an object already written
  elseif value ~= value or value == math.huge or value == -math.huge then
    return "null" -- no latency without requests
  end
  return string.format("%.17g", value)
end

local function json_object(entries)
  local fields = {}
  for key, value in pairs(entries) do
    table.insert(fields, string.format('"%s":%s', tostring(key), json_value(value)))
  end
  return "{" .. table.concat(fields, ",") .. "}"
end

function done(summary, latency, _)
  local statuses = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      statuses[status] = (statuses[status] or 0) + count
    end
  end
  local latency_us = { min = latency.min, max = latency.max, mean = latency.mean }
  for _, p in ipairs({ 50, 90, 95, 99 }) do
    latency_us["p" .. p] = latency:percentile(p)
  end
  local file = assert(io.open(os.getenv("WRK_SUMMARY"), "w"))
  file:write(json_object({
    duration_us = summary.duration,
    requests = summary.requests,
    bytes = summary.bytes,
    socket_errors = json_object({
      connect = summary.errors.connect,
      read = summary.errors.read,
      write = summary.errors.write,
      timeout = summary.errors.timeout,
    }),
    latency_us = json_object(latency_us),
    statuses = json_object(statuses),
  }), "\n")
  file:close()
end
