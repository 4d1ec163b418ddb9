// telemetry-gateway operator console: polls /status, /metrics (JSON) and /health once a second and
// draws what they say. No framework and no third-party code; every text the gateway sends is set
// with textContent, never parsed as HTML.
'use strict';

const POLL_INTERVAL_MS = 1000;
const REQUEST_TIMEOUT_MS = 2500;
const HISTORY_SECONDS = 300;
const SAMPLE_VALUES_KEPT = 60;
const TOKEN_STORAGE_KEY = 'telemetry-gateway.admin-token';
const REJECT_SERIES = {
  invalid: 2, queue_full: 4, redis_unavailable: 3, redis_error: 6, stopped: 7, unsupported_media_type: 5, too_large: 1,
};

const $ = (id) => document.getElementById(id);

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

async function poll() {
  const started = performance.now();
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
  if (metrics.status === 'fulfilled') recordMetrics(metrics.value);
  if (status.status === 'fulfilled') recordSample(status.value.latest_sample);
  drawAll();
  setTimeout(poll, Math.max(0, POLL_INTERVAL_MS - (performance.now() - started)));
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

function formatDuration(seconds) {
  let rest = Math.floor(seconds);
  const days = Math.floor(rest / 86400); rest %= 86400;
  const hours = Math.floor(rest / 3600); rest %= 3600;
  const minutes = Math.floor(rest / 60);
  const secs = rest % 60;
  if (days > 0) return `${days}d ${hours}h ${minutes}m`;
  if (hours > 0) return `${hours}h ${minutes}m ${secs}s`;
  return minutes > 0 ? `${minutes}m ${secs}s` : `${secs}s`;
}

function formatNumber(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (typeof value !== 'number') return String(value);
  return value.toLocaleString('en-US', { maximumFractionDigits: digits === undefined ? 2 : digits });
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

// MARK: metrics table (the figures of the Prometheus output, under their Prometheus names)

function metricRows(m) {
  const rows = [
    ['gateway_events_stored_total', m.samples_processed],
    ['gateway_events_rejected_total (all reasons)', m.samples_dropped],
  ];
  for (const [reason, value] of Object.entries(m.rejected || {})) rows.push([`gateway_events_rejected_total{reason="${reason}"}`, value]);
  rows.push(
    ['gateway_queue_depth', m.queue_depth],
    ['gateway_events_pending', m.events_pending],
    ['gateway_queue_capacity', m.queue_capacity],
    ['gateway_ingestion_running', m.ingestion_running === undefined ? undefined : (m.ingestion_running ? 1 : 0)],
    ['gateway_redis_up', m.redis ? (m.redis.state === 'up' ? 1 : 0) : undefined],
    ['gateway_redis_inflight', m.redis && m.redis.inflight],
    ['gateway_redis_reconnects_total', m.redis && m.redis.reconnects],
    ['request latency p50 / p90 / p95 / p99 / max, ms (since start)',
      [m.latency_p50_ms, m.latency_p90_ms, m.latency_p95_ms, m.latency_p99_ms, m.latency_max_ms].map((v) => formatNumber(v, 3)).join(' / ')],
    ['gateway_connections_open', m.connections_open],
    ['gateway_connections_accepted_total', m.connections_accepted],
  );
  for (const [reason, value] of Object.entries(m.connections_refused || {})) rows.push([`gateway_connections_refused_total{reason="${reason}"}`, value]);
  for (const [kind, value] of Object.entries(m.http_timeouts || {})) rows.push([`gateway_http_timeouts_total{kind="${kind}"}`, value]);
  rows.push(
    ['gateway_consumer_jobs_total', m.thread_pool && m.thread_pool.jobs_processed],
    ['gateway_consumer_threads', m.thread_pool && m.thread_pool.num_threads],
    ['consumer average processing, ms', m.thread_pool && m.thread_pool.avg_processing_ms],
  );
  for (const [route, codes] of Object.entries(m.requests || {})) {
    for (const [code, value] of Object.entries(codes)) rows.push([`gateway_http_requests_total{route="${route}",code="${code}"}`, value]);
  }
  rows.push(
    ['gateway_uptime_seconds', m.uptime_seconds],
    ['process_resident_memory_bytes', m.rss_bytes],
    ['process_open_fds', m.open_fds],
    ['process_max_fds', m.max_fds],
  );
  if (m.redis && m.redis.last_error) rows.push(['redis last error', m.redis.last_error]);
  return rows.filter(([, value]) => value !== undefined);
}

function renderTable(metrics) {
  const rows = metricRows(metrics);
  const body = $('metrics').tBodies[0];
  const names = rows.map(([name]) => name).join('\n');
  if (body.dataset.names !== names) {
    body.replaceChildren(...rows.map(([name]) => {
      const tr = document.createElement('tr');
      const th = document.createElement('td');
      th.className = 'name';
      th.textContent = name;
      const td = document.createElement('td');
      td.className = 'num';
      tr.append(th, td);
      return tr;
    }));
    body.dataset.names = names;
  }
  rows.forEach(([, value], index) => {
    body.rows[index].cells[1].textContent = typeof value === 'number' ? formatNumber(value, 3) : String(value);
  });
}

// MARK: charts

function colour(index) {
  return getComputedStyle(document.documentElement).getPropertyValue(`--series-${index}`).trim() || '#888';
}

function drawAll() {
  const last = history[history.length - 1];
  const reasons = last ? Object.keys(last.rejected) : [];
  const now = Date.now();
  const span = { from: now - HISTORY_SECONDS * 1000, to: now };
  const points = (pick) => history.map((p) => [p.t, pick(p)]);
  drawChart('chart-stored', span, [{ name: 'stored/s', colour: colour(1), points: points((p) => p.stored) }], 'out-stored', ' /s');
  drawChart('chart-rejected', span, reasons.map((reason) => ({
    name: reason, colour: colour(REJECT_SERIES[reason] || 7), points: points((p) => p.rejected[reason]),
  })), 'out-rejected', ' /s', (series) => series.reduce((sum, s) => sum + (lastValue(s) || 0), 0));
  drawChart('chart-latency', span, [
    { name: 'p50', colour: colour(1), points: points((p) => p.p50) },
    { name: 'p99', colour: colour(2), points: points((p) => p.p99) },
  ], 'out-latency', ' ms', (series) => series.map((s) => formatNumber(lastValue(s), 2)).join(' / '));
  drawChart('chart-queue', span, [{ name: 'queue depth', colour: colour(3), points: points((p) => p.queue) }], 'out-queue', '');
  drawChart('chart-connections', span, [{ name: 'open', colour: colour(5), points: points((p) => p.connections) }], 'out-connections', '');
  const values = sampleValues.map((s, index) => [index, s.value]);
  drawChart('chart-values', { from: 0, to: SAMPLE_VALUES_KEPT - 1 }, [{ name: 'value', colour: colour(3), points: values }], 'out-values', '', null, true);
  renderLegend('legend-rejected', reasons.map((r) => [r.replaceAll('_', ' '), REJECT_SERIES[r] || 7]));
  renderLegend('legend-latency', [['p50', 1], ['p99', 2]]);
}

function lastValue(series) {
  for (let i = series.points.length - 1; i >= 0; i--) {
    if (series.points[i][1] !== null && series.points[i][1] !== undefined) return series.points[i][1];
  }
  return null;
}

function renderLegend(id, entries) {
  const list = $(id);
  const key = entries.map((e) => e.join(':')).join(',');
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren(...entries.map(([label, series]) => {
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = `swatch s${series}`;
    item.append(swatch, document.createTextNode(label));
    return item;
  }));
}

// Draws line series of [x, y] points (y null = gap) on a canvas sized to its CSS box. The latest value
// and the maximum are also written to data attributes and the aria-label, for tests and screen readers.
function drawChart(id, span, series, outputId, unit, summarise, indexAxis) {
  const canvas = $(id);
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
  if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, width, height);
  const style = getComputedStyle(document.documentElement);
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => typeof v === 'number');
  const max = niceMax(values.length ? Math.max(...values) : 0);
  const min = indexAxis && values.length ? Math.min(0, ...values) : 0;
  const pad = { left: 46 * ratio, right: 8 * ratio, top: 8 * ratio, bottom: 18 * ratio };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (v) => pad.left + ((v - span.from) / Math.max(1, span.to - span.from)) * plotW;
  const y = (v) => pad.top + plotH - ((v - min) / Math.max(1e-9, max - min)) * plotH;
  g.font = `${11 * ratio}px system-ui, sans-serif`;
  g.fillStyle = style.getPropertyValue('--muted').trim();
  g.strokeStyle = style.getPropertyValue('--grid').trim();
  g.lineWidth = ratio;
  g.textBaseline = 'middle';
  g.textAlign = 'right';
  for (let i = 0; i <= 4; i++) {
    const v = min + ((max - min) * i) / 4;
    g.beginPath(); g.moveTo(pad.left, Math.round(y(v)) + 0.5); g.lineTo(width - pad.right, Math.round(y(v)) + 0.5); g.stroke();
    g.fillText(formatNumber(v, max - min < 4 ? 2 : 0), pad.left - 6 * ratio, y(v));
  }
  g.textBaseline = 'alphabetic';
  g.textAlign = 'center';
  const ticks = indexAxis ? [[span.from, 'oldest'], [span.to, 'newest']] : [[span.from, '−5 min'], [span.from + (span.to - span.from) / 2, '−2.5 min'], [span.to, 'now']];
  for (const [v, label] of ticks) {
    g.textAlign = v === span.from ? 'left' : (v === span.to ? 'right' : 'center');
    g.fillText(label, x(v), height - 4 * ratio);
  }
  g.lineWidth = 2 * ratio;
  g.lineJoin = 'round';
  for (const s of series) {
    g.strokeStyle = s.colour;
    g.beginPath();
    let drawing = false;
    for (const [px, py] of s.points) {
      if (typeof py !== 'number' || px < span.from) { drawing = false; continue; }
      if (drawing) g.lineTo(x(px), y(py)); else g.moveTo(x(px), y(py));
      drawing = true;
    }
    g.stroke();
  }
  const summary = summarise ? summarise(series) : lastValue(series[0]);
  const text = summary === null || summary === undefined ? '–' : `${typeof summary === 'number' ? formatNumber(summary, 2) : summary}${unit}`;
  $(outputId).textContent = text;
  canvas.dataset.last = String(typeof summary === 'number' ? summary : (summary || ''));
  canvas.dataset.max = String(values.length ? Math.max(...values) : 0);
  canvas.dataset.points = String(values.length);
  canvas.setAttribute('aria-label', `${canvas.dataset.label || (canvas.dataset.label = canvas.getAttribute('aria-label'))}: now ${text}`);
}

function niceMax(value) {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

// MARK: start / stop

function askToken() {
  const dialog = $('token-dialog');
  const input = $('token-input');
  input.value = '';
  return new Promise((resolve) => {
    const finish = () => {
      dialog.removeEventListener('close', finish);
      resolve(dialog.returnValue === 'ok' && input.value ? input.value : null);
      input.value = '';
    };
    dialog.returnValue = '';
    dialog.addEventListener('close', finish);
    dialog.showModal();
    input.focus();
  });
}

async function control(action) {
  const result = $('control-result');
  let token = sessionStorage.getItem(TOKEN_STORAGE_KEY);
  if (!token) {
    token = await askToken();
    if (!token) return;
    sessionStorage.setItem(TOKEN_STORAGE_KEY, token);
  }
  $('forget').hidden = false;
  for (const id of ['start', 'stop']) $(id).disabled = true;
  try {
    const response = await fetch(`/${action}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      result.dataset.level = 'ok';
      result.textContent = `Ingestion ${body.state || (action === 'stop' ? 'stopped' : 'running')}.`;
    } else {
      if (response.status === 401 || response.status === 403) forgetToken();
      result.dataset.level = 'bad';
      const meaning = { 401: 'Unauthorized', 403: 'Forbidden' }[response.status] || 'Error';
      result.textContent = `Refused: ${response.status} ${meaning}${body.error ? ` — ${body.error}` : ''}`;
    }
  } catch (error) {
    result.dataset.level = 'bad';
    result.textContent = `Could not ${action}: the gateway did not answer.`;
  } finally {
    for (const id of ['start', 'stop']) $(id).disabled = false;
  }
}

function forgetToken() {
  sessionStorage.removeItem(TOKEN_STORAGE_KEY);
  $('forget').hidden = true;
}

// MARK: CSV export

function downloadCSV() {
  const reasons = [...new Set(history.flatMap((p) => Object.keys(p.rejected)))];
  const header = ['time', 'stored_per_second', ...reasons.map((r) => `rejected_per_second_${r}`),
    'latency_p50_ms', 'latency_p99_ms', 'queue_depth', 'connections_open'];
  const cell = (v) => (v === null || v === undefined ? '' : String(v));
  const lines = [header.join(',')].concat(history.map((p) => [
    new Date(p.t).toISOString(), p.stored.toFixed(3), ...reasons.map((r) => cell(p.rejected[r] === undefined ? null : p.rejected[r].toFixed(3))),
    cell(p.p50), cell(p.p99), cell(p.queue), cell(p.connections),
  ].join(',')));
  const url = URL.createObjectURL(new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `telemetry-gateway-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// MARK: start

document.addEventListener('DOMContentLoaded', () => {
  $('start').addEventListener('click', () => control('start'));
  $('stop').addEventListener('click', () => control('stop'));
  $('forget').addEventListener('click', forgetToken);
  $('forget').hidden = !sessionStorage.getItem(TOKEN_STORAGE_KEY);
  $('csv').addEventListener('click', downloadCSV);
  $('token-cancel').addEventListener('click', () => $('token-dialog').close(''));
  window.addEventListener('resize', drawAll);
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', drawAll);
  poll();
});
