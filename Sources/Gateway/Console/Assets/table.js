// The metrics table: the figures of the Prometheus output, under their Prometheus names, from the
// JSON of GET /metrics.
import { $, formatNumber } from './format.js';

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
    ['request latency p50 since start, ms', m.latency_p50_ms],
    ['request latency p90 since start, ms', m.latency_p90_ms],
    ['request latency p95 since start, ms', m.latency_p95_ms],
    ['request latency p99 since start, ms', m.latency_p99_ms],
    ['request latency max since start, ms', m.latency_max_ms],
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

export function renderTable(metrics) {
  const rows = metricRows(metrics);
  const body = $('metrics').tBodies[0];
  const names = rows.map(([name]) => name).join('\n');
  if (body.dataset.names !== names) {
    body.replaceChildren(...rows.map(([name]) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
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
