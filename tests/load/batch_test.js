// Batched ingestion: every request carries an array of 100 events and must be answered
// {"ok":true,"accepted":100}, i.e. all 100 stored in Redis before the 200.
// 10 VUs for 30 s with 0.2 s think time.
// Env: BASE_URL, SCALE (duration multiplier), BATCH_SIZE (default 100), VUS (default 10).
import { sleep } from 'k6';
import { makeBatch, postTelemetry, scaled, SUMMARY_TREND_STATS } from './lib/telemetry.js';

const BATCH_SIZE = parseInt(__ENV.BATCH_SIZE || '100', 10);

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
  postTelemetry(makeBatch(BATCH_SIZE, __VU * 100000 + __ITER * BATCH_SIZE));
  sleep(0.2);
}
