-- wrk script for bench/serve.py: random paths from a file, an optional If-None-Match,
-- status counts, and the figures the benchmark parses (latency in ms).
local paths = {}
counts = {}  -- global: done() reads each thread's through thread:get
local threads = {}
local etag = nil

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    table.insert(paths, line)
  end
  if args[2] and args[2] ~= "" then etag = args[2] end
  math.randomseed(math.floor(os.clock() * 1000000) + #paths)
end

request = function()
  local path = paths[math.random(#paths)]
  if etag then
    return wrk.format("GET", path, { ["If-None-Match"] = etag })
  end
  return wrk.format("GET", path)
end

response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      total[status] = (total[status] or 0) + n
    end
  end
  io.write("STATUS")
  for status, n in pairs(total) do io.write(string.format(" %d=%d", status, n)) end
  io.write("\n")
  io.write(string.format("P50 %f\n", latency:percentile(50) / 1000))
  io.write(string.format("P99 %f\n", latency:percentile(99) / 1000))
  io.write(string.format("RPS %f\n", summary.requests / (summary.duration / 1000000)))
end
