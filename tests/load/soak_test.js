// Soak: a steady open-model load (RATE events/s, one per request) for DURATION, while a second
// scenario polls GET /metrics (Accept: application/json) every 10 s and records the gateway's
// rss_bytes and open_fds. Fails when RSS ever grows more than RSS_GROWTH_LIMIT (default 1.5,
// i.e. +50%) over the first sample: a leak shows up as a slope here long before an OOM kill.
// Env: BASE_URL, DURATION (default 10m), RATE (default 200), MAX_VUS (default 200),
// RSS_GROWTH_LIMIT (default 1.5). Also fails when fewer than 90% of the polls got the numbers.
import http from 'k6/http';
import { Gauge, Rate, Trend } from 'k6/metrics';
import { BASE_URL, makeEvent, postTelemetry, SUMMARY_TREND_STATS } from './lib/telemetry.js';

const DURATION = __ENV.DURATION || '10m';
const RSS_GROWTH_LIMIT = parseFloat(__ENV.RSS_GROWTH_LIMIT || '1.5');

const rssBytes = new Trend('gateway_rss_bytes');
const rssGrowth = new Trend('gateway_rss_growth');
const openFds = new Gauge('gateway_open_fds');
const metricsPollOk = new Rate('metrics_poll_ok');

export const options = {
  scenarios: {
    ingest: {
      executor: 'constant-arrival-rate',
      rate: parseInt(__ENV.RATE || '200', 10),
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: 20,
      maxVUs: parseInt(__ENV.MAX_VUS || '200', 10),
      exec: 'ingest',
    },
    metrics: {
      executor: 'constant-arrival-rate',
      rate: 1,
      timeUnit: '10s',
      duration: DURATION,
      preAllocatedVUs: 1,
      maxVUs: 1,
      exec: 'pollMetrics',
    },
  },
  thresholds: {
    'http_req_duration{scenario:ingest}': ['p(95)<200', 'p(99)<500'],
    'http_req_failed{scenario:ingest}': ['rate<0.01'],
    gateway_rss_growth: [`max<${RSS_GROWTH_LIMIT}`],
    // Without samples the RSS threshold above would pass vacuously.
    metrics_poll_ok: ['rate>0.9'],
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
};

export function ingest() {
  postTelemetry(makeEvent(__VU * 100000 + __ITER, true));
}

// One VU runs this scenario, so the module-level baseline is the first sample of the run.
let firstRss = 0;

export function pollMetrics() {
  const res = http.get(`${BASE_URL}/metrics`, {
    headers: { Accept: 'application/json' },
    timeout: '5s',
    tags: { name: 'GET /metrics' },
  });
  let m = null;
  if (res.status === 200) {
    try {
      m = res.json();
    } catch (e) {
      m = null;
    }
  }
  const ok = m !== null && typeof m.rss_bytes === 'number';
  metricsPollOk.add(ok);
  if (!ok) return;
  if (firstRss === 0) firstRss = m.rss_bytes;
  rssBytes.add(m.rss_bytes);
  rssGrowth.add(m.rss_bytes / firstRss);
  if (typeof m.open_fds === 'number') openFds.add(m.open_fds);
}
