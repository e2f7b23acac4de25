-- wrk: GET the path given in WAIVER_BENCH_PATH with the bench's token (WAIVER_BENCH_TOKEN).
local token = os.getenv("WAIVER_BENCH_TOKEN")
local path = os.getenv("WAIVER_BENCH_PATH")
request = function()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
-- The latency histogram for run.sh (latency.lua, beside this file).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "latency.lua")
