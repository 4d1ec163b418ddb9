// Smoke load: 10 VUs for 30 s, each sending one event per second (about 10 requests/s).
// Proves the happy path end to end with a load too small to hide a functional failure.
// Env: BASE_URL, SCALE (duration multiplier).
import { sleep } from 'k6';
import { makeEvent, postTelemetry, scaled, SUMMARY_TREND_STATS } from './lib/telemetry.js';

export const options = {
  vus: 10,
  duration: scaled('30s'),
  thresholds: {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function () {
  const started = Date.now();
  postTelemetry(makeEvent(__VU * 1000 + __ITER));
  // Pace to one request per VU per second whatever the response time.
  sleep(Math.max(0, 1 - (Date.now() - started) / 1000));
}
