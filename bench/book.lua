-- wrk script: POST /v2/bookings, every request a different 15-minute slot, so none conflict.
-- Each wrk thread books its own two years (threads never collide, up to 70,080 bookings each), counting up from
-- 2031; BOOK_YEAR_OFFSET moves them all later, so that repeated runs against one database do not collide either.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  event_type = os.getenv("BOOK_EVENT")
  year_offset = tonumber(os.getenv("BOOK_YEAR_OFFSET") or "0")
end

request = function()
  counter = counter + 1
  -- 2031-01-01T00:00:00Z plus two years per thread (and one per offset year), plus 15 minutes per request.
  -- `thread_index` is a global that setup() gives each thread its own value of.
  local t = 1924992000 + ((thread_index or 0) * 2 + year_offset) * 31536000 + counter * 900
  local start = os.date("!%Y-%m-%dT%H:%M:%SZ", t)
  local body = string.format(
    '{"eventTypeId":%s,"start":"%s","attendee":{"name":"Bench","email":"bench%d-%d@example.com","timeZone":"UTC"}}',
    event_type, start, thread_index or 0, counter)
  return wrk.format("POST", "/v2/bookings", {["content-type"] = "application/json", ["cal-api-version"] = "2024-08-13"}, body)
end

done = function(summary, latency, requests)
  io.write(string.format("non-2xx responses: %d\n", summary.errors.status))
end
