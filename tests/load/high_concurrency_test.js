// The load under which a thread-per-connection server (cpp-httplib-seed) times out:
// 10 s -> 50 VUs, 20 s -> 100, hold 100 for 30 s, spike to 200 in 10 s, back to 100 in 10 s,
// down to 0 in 10 s; 0.5 s think time, 10 s client timeout. Passing needs p95 < 200 ms,
// p99 < 500 ms and under 1% failed requests.
// Env: BASE_URL, SCALE (stage-duration multiplier, e.g. 0.25 in CI).
import { sleep } from 'k6';
import { makeEvent, postTelemetry, scaledStages, SUMMARY_TREND_STATS } from './lib/telemetry.js';

export const options = {
  stages: scaledStages([
    { duration: '10s', target: 50 },
    { duration: '20s', target: 100 },
    { duration: '30s', target: 100 },
    { duration: '10s', target: 200 },
    { duration: '10s', target: 100 },
    { duration: '10s', target: 0 },
  ]),
  thresholds: {
    http_req_duration: ['p(95)<200', 'p(99)<500'],
    http_req_failed: ['rate<0.01'],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function () {
  postTelemetry(makeEvent(__VU * 1000 + __ITER, true));
  sleep(0.5);
}
