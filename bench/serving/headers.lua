-- wrk script: POST the file named by BODY as text/csv with the extra
-- headers in HEADERS ("Name: value" lines, e.g. a SigV4 Authorization
-- computed once: the server verifies every request).
local f = assert(io.open(os.getenv("BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "text/csv"
for line in string.gmatch(os.getenv("HEADERS") or "", "[^\n]+") do
  local k, v = string.match(line, "^([^:]+):%s*(.*)$")
  if k then wrk.headers[k] = v end
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d duration_us=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
