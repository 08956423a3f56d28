-- wrk script: POSTs pre-signed Account Activity deliveries to /twitter, counting answers by status.
-- The deliveries file (STARLING_LOAD_FILE) holds one "<signature>\t<json body>" per line, made by
-- scripts/load.sh; signing happens before the run so wrk measures the server, not Lua.
local file = os.getenv("STARLING_LOAD_FILE") or "deliveries.tsv"
local requests = {}
local counter = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  for line in io.lines(file) do
    local sig, body = line:match("^([^\t]+)\t(.*)$")
    if sig then
      requests[#requests + 1] = wrk.format("POST", "/twitter", {
        ["Content-Type"] = "application/json",
        ["x-twitter-webhooks-signature"] = sig,
      }, body)
    end
  end
  -- Thread k of n sends deliveries k, k+n, k+2n, …: no two threads send the same post.
  stride = tonumber(os.getenv("STARLING_LOAD_THREADS") or "1")
  counter = (id or 1) - 1 - stride
  ok, other = 0, 0
end

function request()
  counter = counter + stride
  return requests[(counter % #requests) + 1]
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests_)
  local total_ok, total_other = 0, 0
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_other = total_other + t:get("other")
  end
  io.write(string.format("requests=%d ok=%d non200=%d socket_errors=%d\n",
    summary.requests, total_ok, total_other,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
