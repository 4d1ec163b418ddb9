// The 5,000-device spike: devices that each post one reading and then think for a random 1-5 s,
// ramping to 1,000 devices over 2 minutes, holding, spiking to 5,000 within a minute, falling back
// to 1,000, holding, and leaving: 7 minutes, about 170,000 requests (SCALE multiplies every stage).
// A request is bad unless it is a 200 with a body and took under 200 ms; the run fails when more
// than 1% are bad.
//
// The slow requests matter more than their share: scripts/loadtest runs bench/k6_slow_seconds.py
// over the per-request CSV, which prints the share over 200 ms and the per-second distribution of
// slow requests (a stall shows up as a few seconds in which nearly every request is slow).
// Env: BASE_URL, SCALE, SPIKE_VUS (default 5000), BASE_VUS (default 1000).
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Rate } from 'k6/metrics';
import { makeEvent, BASE_URL, SUMMARY_TREND_STATS, scaledStages, errTimeout, errTransport, statusNon200,
  eventsSent, eventsAcked, eventsUnanswered, bodyNotOk } from './lib/telemetry.js';

const SPIKE = parseInt(__ENV.SPIKE_VUS || '5000', 10);
const BASE = parseInt(__ENV.BASE_VUS || '1000', 10);
const SLOW_MS = 200;

export const badRequests = new Rate('bad_requests');

export const options = {
  stages: scaledStages([
    { duration: '2m', target: BASE },
    { duration: '1m', target: BASE },
    { duration: '1m', target: SPIKE },
    { duration: '30s', target: BASE },
    { duration: '1m30s', target: BASE },
    { duration: '1m', target: 0 },
  ]),
  thresholds: {
    bad_requests: ['rate<0.01'],
    http_req_failed: ['rate<0.01'],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

const PARAMS = { headers: { 'Content-Type': 'application/json' }, timeout: '10s', tags: { name: 'POST /telemetry' } };

export default function () {
  const res = http.post(`${BASE_URL}/telemetry`, JSON.stringify(makeEvent(__VU * 1000 + __ITER, true)), PARAMS);
  eventsSent.add(1);
  if (res.error_code === 1050) {
    errTimeout.add(1);
    eventsUnanswered.add(1);
  } else if (res.status === 0) {
    errTransport.add(1);
    eventsUnanswered.add(1);
  } else if (res.status !== 200) {
    statusNon200.add(1);
    if (res.status >= 500) eventsUnanswered.add(1);
  }
  const hasBody = res.status === 200 && res.body !== null && res.body.length > 0;
  const fast = res.timings.duration < SLOW_MS;
  check(res, {
    'status is 200': (r) => r.status === 200,
    'has a body': () => hasBody,
    'under 200 ms': () => fast,
  });
  if (res.status === 200) {
    if (hasBody && res.body.indexOf('"ok":true') >= 0) eventsAcked.add(1);
    else bodyNotOk.add(1);
  }
  badRequests.add(!(res.status === 200 && hasBody && fast));
  sleep(1 + Math.random() * 4);
}
