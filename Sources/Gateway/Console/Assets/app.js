// telemetry-gateway operator console: polls /status, /metrics (JSON) and /health once a second and
// draws what they say. No framework and no third-party code; every text the gateway sends is set
// with textContent, never parsed as HTML. An ES module (strict, deferred); its imports are served
// next to it under /console/.
import { drawChart, lastValue, renderLegend, colour } from './chart.js';
import { setUpControls } from './controls.js';
import { $, formatDuration, formatNumber } from './format.js';
import { renderTable } from './table.js';

const POLL_INTERVAL_MS = 1000;
const REQUEST_TIMEOUT_MS = 2500;
const HISTORY_SECONDS = 300;
const SAMPLE_VALUES_KEPT = 60;
// Until 5 minutes of history exist the time charts span what there is, but at least this much.
const MIN_CHART_SECONDS = 60;
const REJECT_SERIES = {
  invalid: 2, queue_full: 4, redis_unavailable: 3, redis_error: 6, stopped: 7, unsupported_media_type: 5, too_large: 1,
};

const history = [];      // {t, stored, rejected: {reason: perSecond}, p50, p99, queue, connections}
const sampleValues = []; // {t, value}
let previous = null;     // the last /metrics reading: {t, stored, rejected, buckets}
let lastSampleKey = null;

// MARK: fetching

async function fetchJSON(path, headers) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    const response = await fetch(path, { headers: headers || {}, cache: 'no-store', signal: controller.signal });
    if (!response.ok) throw new Error(`${path} answered ${response.status} ${response.statusText}`.trim());
    return await response.json();
  } catch (error) {
    if (error.name === 'AbortError') throw new Error(`${path} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`);
    if (error instanceof TypeError) throw new Error(`cannot reach the gateway (${path})`);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

let pollTimer = null;
let pollInFlight = false;

// One poll chain: a call while a poll is in flight (after Start/Stop, say) is dropped, and every
// call cancels the timer the previous poll set.
async function poll() {
  clearTimeout(pollTimer);
  if (pollInFlight) return;
  pollInFlight = true;
  const started = performance.now();
  try {
    await refresh();
  } catch (error) {
    showBanner([`the console failed to draw: ${error.message}`]);
  } finally {
    pollInFlight = false;
    pollTimer = setTimeout(poll, Math.max(0, POLL_INTERVAL_MS - (performance.now() - started)));
  }
}

async function refresh() {
  const [status, metrics, health] = await Promise.allSettled([
    fetchJSON('/status'),
    fetchJSON('/metrics', { Accept: 'application/json' }),
    fetchJSON('/health'),
  ]);
  const problems = [status, metrics, health].filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  showBanner(problems);
  if (health.status === 'fulfilled' || status.status === 'fulfilled') {
    renderOverview(status.value, health.value);
  } else {
    renderUnreachable();
  }
  if (metrics.status === 'fulfilled') recordMetrics(metrics.value); else recordGap();
  if (status.status === 'fulfilled') recordSample(status.value.latest_sample);
  drawAll();
}

function showBanner(problems) {
  const banner = $('banner');
  if (problems.length === 0) {
    banner.hidden = true;
    banner.textContent = '';
    return;
  }
  banner.textContent = `Problem: ${[...new Set(problems)].join('; ')}. Retrying every second.`;
  banner.hidden = false;
}

// MARK: overview

function setTile(tileId, textId, level, text) {
  $(tileId).dataset.level = level;
  $(textId).textContent = text;
}

function renderOverview(status, health) {
  const source = health || status;
  const redisUp = source.redis === 'up';
  const state = source.state;
  if (state === 'stopped') setTile('tile-state', 'state', 'bad', 'Stopped');
  else if (!redisUp) setTile('tile-state', 'state', 'warn', 'Degraded');
  else setTile('tile-state', 'state', 'ok', 'Running');
  setTile('tile-redis', 'redis', redisUp ? 'ok' : 'bad', redisUp ? 'Up' : 'Down');
  const version = (health && health.version) || (status && status.version);
  if (version) $('version').textContent = `version ${version}`;
  const uptime = status ? status.uptime_seconds : health.uptime_seconds;
  $('uptime').textContent = formatDuration(uptime);
}

function renderUnreachable() {
  setTile('tile-state', 'state', 'bad', 'Unreachable');
  setTile('tile-redis', 'redis', 'unknown', 'Unknown');
}

// MARK: metrics history

// Latency percentile over the last interval, from the difference of two cumulative bucket readings
// ([[midpoint_us, count], ...]); null when no request completed in the interval.
function intervalPercentile(now, before, fraction) {
  const old = new Map(before);
  const deltas = now.map(([mid, count]) => [mid, count - (old.get(mid) || 0)]).filter(([, d]) => d > 0);
  const total = deltas.reduce((sum, [, d]) => sum + d, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(fraction * total));
  let running = 0;
  for (const [mid, d] of deltas.sort((a, b) => a[0] - b[0])) {
    running += d;
    if (running >= rank) return mid / 1000;
  }
  return null;
}

function recordMetrics(metrics) {
  const t = Date.now();
  const reading = { t, stored: metrics.samples_processed, rejected: metrics.rejected || {}, buckets: metrics.latency_buckets || [] };
  $('stored-total').textContent = formatNumber(metrics.samples_processed, 0);
  renderTable(metrics);
  // A counter that went down means the gateway restarted: start the rates afresh.
  if (previous && reading.stored >= previous.stored && t > previous.t) {
    const seconds = (t - previous.t) / 1000;
    const rejected = {};
    for (const reason of Object.keys(reading.rejected)) {
      rejected[reason] = Math.max(0, (reading.rejected[reason] - (previous.rejected[reason] || 0)) / seconds);
    }
    history.push({
      t,
      stored: (reading.stored - previous.stored) / seconds,
      rejected,
      p50: intervalPercentile(reading.buckets, previous.buckets, 0.50),
      p99: intervalPercentile(reading.buckets, previous.buckets, 0.99),
      queue: metrics.queue_depth,
      connections: metrics.connections_open,
    });
    while (history.length > 0 && history[0].t < t - HISTORY_SECONDS * 1000) history.shift();
  }
  previous = reading;
}

// A second without a reading: the charts break their lines here instead of bridging the outage.
function recordGap() {
  const t = Date.now();
  history.push({ t, stored: null, rejected: {}, p50: null, p99: null, queue: null, connections: null });
  while (history.length > 0 && history[0].t < t - HISTORY_SECONDS * 1000) history.shift();
}

function recordSample(sample) {
  if (!sample) return;
  const key = JSON.stringify(sample);
  if (key === lastSampleKey) return;
  lastSampleKey = key;
  $('sample-device').textContent = sample.device_id;
  $('sample-type').textContent = sample.type || '–';
  $('sample-value').textContent = formatNumber(sample.value, 6);
  $('sample-unit').textContent = sample.unit || '–';
  const when = sample.timestamp || sample.received_at;
  const parsed = new Date(when);
  $('sample-time').textContent = when === undefined ? '–' : (Number.isNaN(parsed.getTime()) ? String(when) : parsed.toLocaleString());
  sampleValues.push({ t: Date.now(), value: sample.value });
  while (sampleValues.length > SAMPLE_VALUES_KEPT) sampleValues.shift();
}
function drawAll() {
  const reasons = [...new Set(history.flatMap((p) => Object.keys(p.rejected)))];
  const now = Date.now();
  const oldest = history.length ? history[0].t : now;
  const seconds = Math.min(HISTORY_SECONDS, Math.max(MIN_CHART_SECONDS, (now - oldest) / 1000));
  const span = { from: now - seconds * 1000, to: now };
  const points = (pick) => history.map((p) => [p.t, pick(p)]);
  drawChart('chart-stored', {
    span, unit: ' /s', floor: 5, series: [{ colour: colour(1), points: points((p) => p.stored) }],
  });
  drawChart('chart-rejected', {
    span, unit: ' /s', floor: 5,
    series: reasons.map((reason) => ({
      colour: colour(REJECT_SERIES[reason] || 7), points: points((p) => (p.stored === null ? null : p.rejected[reason])),
    })),
    summarise: (series) => series.reduce((sum, s) => sum + (lastValue(s) || 0), 0),
  });
  drawChart('chart-latency', {
    span, unit: ' ms', floor: 1,
    series: [{ colour: colour(1), points: points((p) => p.p50) }, { colour: colour(2), points: points((p) => p.p99) }],
    summarise: (series) => series.map((s) => formatNumber(lastValue(s), 2)).join(' / '),
  });
  drawChart('chart-queue', { span, unit: '', floor: 4, series: [{ colour: colour(3), points: points((p) => p.queue) }] });
  drawChart('chart-connections', { span, unit: '', floor: 4, series: [{ colour: colour(5), points: points((p) => p.connections) }] });
  drawChart('chart-values', {
    span: { from: 0, to: SAMPLE_VALUES_KEPT - 1 }, unit: '', indexAxis: true,
    series: [{ colour: colour(3), points: sampleValues.map((s, index) => [index, s.value]) }],
  });
  renderLegend('legend-rejected', reasons.map((r) => [r.replaceAll('_', ' '), REJECT_SERIES[r] || 7]));
  renderLegend('legend-latency', [['p50 (last second)', 1], ['p99 (last second)', 2]]);
}

// MARK: start

setUpControls(history, poll);
window.addEventListener('resize', drawAll);
window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', drawAll);
poll();
