// Shared payloads, request helper and failure accounting for every k6 scenario in tests/load.
//
// Env: BASE_URL (default http://localhost:8080), SCALE (default 1; multiplies every stage and
// duration built with scaled(), so CI can run a scenario at e.g. SCALE=0.1).
//
// Failures are split the same way in every scenario so that runs against the gateway and the
// peers read side by side: a request either timed out (k6 error 1050), failed in transport
// (reset, EOF, refused), got a status other than 200, or got a 200 whose JSON did not say ok.
// events_sent / events_acked / events_unanswered let scripts/loadtest compare what the gateway
// acknowledged with what Redis holds.
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';

export const BASE_URL = (__ENV.BASE_URL || 'http://localhost:8080').replace(/\/+$/, '');
export const SCALE = parseFloat(__ENV.SCALE || '1');

export const errTimeout = new Counter('err_timeout');
export const errTransport = new Counter('err_transport');
export const statusNon200 = new Counter('status_non200');
export const bodyNotOk = new Counter('body_not_ok');
export const eventsSent = new Counter('events_sent');
export const eventsAcked = new Counter('events_acked');
export const eventsUnanswered = new Counter('events_unanswered');

const K6_TIMEOUT_ERROR = 1050;

// The percentiles every summary must carry: scripts/loadtest prints p50/p95/p99/max.
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];

// Scales a k6 duration string ("30s", "1m", "1m30s", "500ms") by SCALE, never below one second.
export function scaled(duration) {
  const units = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let seconds = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let match;
  while ((match = re.exec(duration)) !== null) seconds += parseFloat(match[1]) * units[match[2]];
  return `${Math.max(1, Math.round(seconds * SCALE))}s`;
}

export function scaledStages(stages) {
  return stages.map((s) => ({ duration: scaled(s.duration), target: s.target }));
}

const DEVICE_TYPES = ['temperature', 'humidity', 'pressure', 'voltage'];
const UNITS = { temperature: 'celsius', humidity: 'percent', pressure: 'hPa', voltage: 'volt' };
const PRIORITIES = ['LOW', 'MEDIUM', 'HIGH'];

// One telemetry event; `n` varies the device so that events are not byte-identical.
export function makeEvent(n, withMetadata = true) {
  const type = DEVICE_TYPES[n % DEVICE_TYPES.length];
  const event = {
    device_id: `sensor-${n % 500}`,
    type,
    value: Math.round(Math.random() * 4000) / 100,
    unit: UNITS[type],
    priority: PRIORITIES[n % PRIORITIES.length],
    timestamp: new Date().toISOString(),
  };
  if (withMetadata) {
    event.metadata = { location: `zone-${n % 5}`, firmware_version: '2.3.1' };
  }
  return event;
}

export function makeBatch(size, first) {
  const events = [];
  for (let i = 0; i < size; i++) events.push(makeEvent(first + i));
  return events;
}

const POST_PARAMS = {
  headers: { 'Content-Type': 'application/json' },
  timeout: '10s',
  tags: { name: 'POST /telemetry' },
};

// POSTs `payload` (one event object or an array) to /telemetry, checks the answer and books
// every outcome. For an array the check also requires `accepted` to equal its length.
export function postTelemetry(payload, extraTags) {
  const count = Array.isArray(payload) ? payload.length : 1;
  const params = extraTags
    ? Object.assign({}, POST_PARAMS, { tags: Object.assign({}, POST_PARAMS.tags, extraTags) })
    : POST_PARAMS;
  eventsSent.add(count);
  const res = http.post(`${BASE_URL}/telemetry`, JSON.stringify(payload), params);
  return book(res, count, Array.isArray(payload));
}

// POSTs a prebuilt body (an ArrayBuffer from open(path, 'b'): JSON, Protobuf, gzip'd or not) holding
// `count` events, answered as a batch ({"ok":true,"accepted":count}), and books it like postTelemetry.
export function postBody(body, count, contentType, contentEncoding) {
  const headers = { 'Content-Type': contentType };
  if (contentEncoding) headers['Content-Encoding'] = contentEncoding;
  eventsSent.add(count);
  const res = http.post(`${BASE_URL}/telemetry`, body, {
    headers,
    timeout: POST_PARAMS.timeout,
    tags: { name: 'POST /telemetry', format: contentType + (contentEncoding ? `+${contentEncoding}` : '') },
  });
  return book(res, count, true);
}

function book(res, count, isBatch) {
  if (res.error_code === K6_TIMEOUT_ERROR) {
    errTimeout.add(1);
    eventsUnanswered.add(count);
  } else if (res.status === 0) {
    errTransport.add(1);
    eventsUnanswered.add(count);
  } else if (res.status !== 200) {
    statusNon200.add(1);
    // A 5xx may come after Redis already stored the events (a Redis timeout, say).
    if (res.status >= 500) eventsUnanswered.add(count);
  }

  let body = null;
  if (res.status === 200) {
    try {
      body = res.json();
    } catch (e) {
      body = null;
    }
  }
  const checks = {
    'status is 200': () => res.status === 200,
    'body ok === true': () => body !== null && body.ok === true,
  };
  if (isBatch) {
    checks[`accepted === ${count}`] = () => body !== null && body.accepted === count;
  }
  const ok = check(res, checks);
  if (res.status === 200) {
    if (ok) eventsAcked.add(count);
    else bodyNotOk.add(1);
  }
  return ok;
}

// Prebuilt bodies from lib/make_bodies.py (scripts/loadtest writes them to BODIES_DIR), read once in the init
// context: the same events in every format, so scenarios differ only in the encoding.
export function openBodies(suffix) {
  const dir = __ENV.BODIES_DIR;
  if (!dir) throw new Error('BODIES_DIR is not set: run through scripts/loadtest, or run tests/load/lib/make_bodies.py DIR');
  const manifest = JSON.parse(open(`${dir}/manifest.json`));
  const bodies = [];
  for (let i = 0; i < manifest.batches; i++) bodies.push(open(`${dir}/batch-${i}.${suffix}`, 'b'));
  return { bodies, batchSize: manifest.batch_size };
}
