// Start / Stop with the admin token (asked once, kept in sessionStorage for this tab only, sent as a
// Bearer token, never put in a URL or logged), and the CSV download of the charted history.
import { $ } from './format.js';

const TOKEN_STORAGE_KEY = 'telemetry-gateway.admin-token';

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

function downloadCSV(history) {
  const reasons = [...new Set(history.flatMap((p) => Object.keys(p.rejected)))];
  const header = ['time', 'stored_per_second', ...reasons.map((r) => `rejected_per_second_${r}`),
    'latency_p50_ms', 'latency_p99_ms', 'queue_depth', 'connections_open'];
  const cell = (v) => (v === null || v === undefined ? '' : String(v));
  const lines = [header.join(',')].concat(history.map((p) => [
    new Date(p.t).toISOString(), cell(p.stored === null ? null : p.stored.toFixed(3)),
    ...reasons.map((r) => cell(p.rejected[r] === undefined ? null : p.rejected[r].toFixed(3))),
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

export function setUpControls(history, afterControl) {
  $('start').addEventListener('click', () => control('start').then(afterControl));
  $('stop').addEventListener('click', () => control('stop').then(afterControl));
  $('forget').addEventListener('click', forgetToken);
  $('forget').hidden = !sessionStorage.getItem(TOKEN_STORAGE_KEY);
  $('csv').addEventListener('click', () => downloadCSV(history));
  $('token-cancel').addEventListener('click', () => $('token-dialog').close(''));
}
