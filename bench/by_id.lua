-- wrk: GET /api/v1/exceptions/<random id> with the bench's token (WAIVER_BENCH_TOKEN, N).
local token = os.getenv("WAIVER_BENCH_TOKEN")
local n = tonumber(os.getenv("WAIVER_BENCH_N"))
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/exceptions/" .. math.random(1, n), { ["Authorization"] = "Bearer " .. token })
end
-- The latency histogram for run.sh (latency.lua, beside this file).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "latency.lua")
