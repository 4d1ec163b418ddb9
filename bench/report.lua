-- Shared by the wrk scripts in this directory: after wrk's own summary, prints one line
-- "WRK_RESULT {json}" so that scripts/bench reads numbers instead of parsing wrk's text.
-- Latencies are in microseconds. A "timeout" is a response that came more than --timeout (2 s by
-- default) after its request; it is counted in requests but left out of the percentiles.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"non_2xx":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
