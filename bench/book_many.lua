-- wrk script: POST /v2/bookings spread over several hosts' event types (BOOK_EVENTS="id,id,…"), request n to
-- event n mod count. Every request takes a different 15-minute slot (each wrk thread books its own year), so
-- none conflict.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

function init(args)
  events = {}
  for id in string.gmatch(os.getenv("BOOK_EVENTS"), "[^,]+") do
    table.insert(events, id)
  end
end

request = function()
  counter = counter + 1
  local event_type = events[(counter % #events) + 1]
  -- 2031-01-01T00:00:00Z plus one year per thread, plus 15 minutes per request.
  local t = 1924992000 + (thread_index or 0) * 31536000 + counter * 900
  local start = os.date("!%Y-%m-%dT%H:%M:%SZ", t)
  local body = string.format(
    '{"eventTypeId":%s,"start":"%s","attendee":{"name":"Bench","email":"bench%d-%d@example.com","timeZone":"UTC"}}',
    event_type, start, thread_index or 0, counter)
  return wrk.format("POST", "/v2/bookings", {["content-type"] = "application/json", ["cal-api-version"] = "2024-08-13"}, body)
end

done = function(summary, latency, requests)
  io.write(string.format("non-2xx responses: %d\n", summary.errors.status))
end
