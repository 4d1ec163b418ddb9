// A realistic fleet to watch on the Grafana dashboards: ramps to 50 devices in 30 s, to 100 over
// a minute, back to 0 in 30 s; every device sends an event with metadata and then thinks 1-3 s.
// Run it with `--out influxdb=http://localhost:8086/k6` to fill the k6 dashboard.
// Env: BASE_URL, SCALE (stage-duration multiplier).
import { sleep } from 'k6';
import { makeEvent, postTelemetry, scaledStages, SUMMARY_TREND_STATS } from './lib/telemetry.js';

export const options = {
  stages: scaledStages([
    { duration: '30s', target: 50 },
    { duration: '1m', target: 100 },
    { duration: '30s', target: 0 },
  ]),
  thresholds: {
    http_req_duration: ['p(95)<200', 'p(99)<500'],
    http_req_failed: ['rate<0.01'],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function () {
  postTelemetry(makeEvent(__VU * 1000 + __ITER, true));
  sleep(1 + Math.random() * 2);
}
