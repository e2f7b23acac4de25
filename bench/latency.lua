-- wrk: when WAIVER_BENCH_LATENCY_FILE is set, append the run's latency histogram to it, one
-- "microseconds count" line per distinct latency, so that bench/run.sh can take the p99 of all the
-- requests of several runs. Loaded by path.lua and by_id.lua.
local file = os.getenv("WAIVER_BENCH_LATENCY_FILE")
done = function(summary, latency, requests)
  if file == nil or file == "" then return end
  local out = assert(io.open(file, "a"))
  for i = 1, #latency do
    local value, count = latency(i)
    out:write(string.format("%d %d\n", value, count))
  end
  out:close()
end
