// gzip'd JSON batches (a JSON array of 100 events, Content-Encoding: gzip), prebuilt by lib/make_bodies.py:
// every request must be answered {"ok":true,"accepted":100}, i.e. all 100 events stored in Redis before the
// 200, exactly as the same events sent as plain JSON would be.
// 10 VUs for 30 s with 0.2 s think time, like batch_test.js, so the runs read side by side.
// Env: BASE_URL, SCALE (duration multiplier), VUS (default 10), BODIES_DIR (set by scripts/loadtest).
import { sleep } from 'k6';
import { openBodies, postBody, scaled, SUMMARY_TREND_STATS } from './lib/telemetry.js';

const { bodies, batchSize } = openBodies('json.gz');

export const options = {
  vus: parseInt(__ENV.VUS || '10', 10),
  duration: scaled('30s'),
  thresholds: {
    http_req_duration: ['p(95)<500', 'p(99)<1000'],
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export default function () {
  postBody(bodies[(__VU + __ITER) % bodies.length], batchSize, 'application/json', 'gzip');
  sleep(0.2);
}
