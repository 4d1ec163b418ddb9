// Line charts on <canvas>, drawn by hand: a time axis (the last 5 minutes) or an index axis (the last
// 60 sample values), round-step scales, colours from the page's CSS custom properties (light/dark).
import { $, formatNumber } from './format.js';

export function colour(index) {
  return getComputedStyle(document.documentElement).getPropertyValue(`--series-${index}`).trim() || '#888';
}

export function lastValue(series) {
  for (let i = series.points.length - 1; i >= 0; i--) {
    if (series.points[i][1] !== null && series.points[i][1] !== undefined) return series.points[i][1];
  }
  return null;
}

export function renderLegend(id, entries) {
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

const TICKS = 4;

function formatAge(seconds) {
  return seconds < 120 ? `${Math.round(seconds)} s` : `${Math.round(seconds / 6) / 10} min`;
}

function niceStep(raw) {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const step of [1, 2, 2.5, 5, 10]) if (raw <= step * magnitude * (1 + 1e-9)) return step * magnitude;
  return 10 * magnitude;
}

// A scale of at most TICKS round steps covering [low, high].
function niceScale(low, high) {
  if (!(high > low)) high = low + 1;
  let step = niceStep((high - low) / TICKS);
  let min = Math.floor(low / step) * step;
  while (min + TICKS * step < high) {
    step = niceStep(step * 1.01);
    min = Math.floor(low / step) * step;
  }
  const ticks = Math.max(1, Math.ceil((high - min) / step - 1e-9));
  return { min, max: min + ticks * step, step, ticks };
}

// Draws line series of [x, y] points (y null = gap) on a canvas sized to its CSS box. A time chart's
// scale starts at 0 and reaches at least `floor`; the values chart fits its scale to the values. The
// latest value and the maximum also go to data attributes and the aria-label, for tests and screen readers.
export function drawChart(id, { span, series, unit, summarise, indexAxis, floor }) {
  const canvas = $(id);
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
  if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, width, height);
  const style = getComputedStyle(document.documentElement);
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => typeof v === 'number');
  const highest = values.length ? Math.max(...values) : 0;
  const scale = indexAxis && values.length ? niceScale(Math.min(...values), highest) : niceScale(0, Math.max(highest, floor || 1));
  const pad = { left: 44 * ratio, right: 10 * ratio, top: 10 * ratio, bottom: 20 * ratio };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (v) => pad.left + ((v - span.from) / Math.max(1, span.to - span.from)) * plotW;
  const y = (v) => pad.top + plotH - ((v - scale.min) / (scale.max - scale.min)) * plotH;
  const digits = scale.step >= 1 && Number.isInteger(scale.step) ? 0 : (scale.step >= 0.1 ? 2 : 3);
  g.font = `${11 * ratio}px system-ui, sans-serif`;
  g.fillStyle = style.getPropertyValue('--muted').trim();
  g.strokeStyle = style.getPropertyValue('--grid').trim();
  g.lineWidth = ratio;
  g.textBaseline = 'middle';
  g.textAlign = 'right';
  for (let i = 0; i <= scale.ticks; i++) {
    const v = scale.min + scale.step * i;
    const row = Math.round(y(v)) + 0.5;
    g.beginPath(); g.moveTo(pad.left, row); g.lineTo(width - pad.right, row); g.stroke();
    g.fillText(formatNumber(v, digits), pad.left - 6 * ratio, row);
  }
  g.textBaseline = 'alphabetic';
  const seconds = (span.to - span.from) / 1000;
  const ticks = indexAxis ? [[span.from, 'oldest'], [span.to, 'newest']]
    : [[span.from, `−${formatAge(seconds)}`], [span.from + (span.to - span.from) / 2, `−${formatAge(seconds / 2)}`], [span.to, 'now']];
  for (const [v, label] of ticks) {
    g.textAlign = v === span.from ? 'left' : (v === span.to ? 'right' : 'center');
    g.fillText(label, x(v), height - 5 * ratio);
  }
  g.lineWidth = 2 * ratio;
  g.lineJoin = 'round';
  // The series with the highest values last, so an all-zero one never hides a busy one.
  const peak = (s) => Math.max(0, ...s.points.map((p) => (typeof p[1] === 'number' ? p[1] : 0)));
  for (const s of [...series].sort((a, b) => peak(a) - peak(b))) {
    // Runs of consecutive values; a gap (no reading) breaks the line.
    const runs = [];
    let run = null;
    for (const [px, py] of s.points) {
      if (typeof py !== 'number' || px < span.from) { run = null; continue; }
      if (!run) runs.push(run = []);
      run.push([x(px), y(py)]);
    }
    g.strokeStyle = s.colour;
    g.fillStyle = s.colour;
    for (const points of runs) {
      g.beginPath();
      points.forEach(([px, py], i) => (i ? g.lineTo(px, py) : g.moveTo(px, py)));
      g.stroke();
      if (series.length === 1 && points.length > 1) {
        g.lineTo(points[points.length - 1][0], y(scale.min));
        g.lineTo(points[0][0], y(scale.min));
        g.globalAlpha = 0.12;
        g.fill();
        g.globalAlpha = 1;
      }
    }
  }
  const summary = summarise ? summarise(series) : lastValue(series[0]);
  const text = summary === null || summary === undefined ? '–' : `${typeof summary === 'number' ? formatNumber(summary, 2) : summary}${unit}`;
  $(canvas.id.replace('chart-', 'out-')).textContent = text;
  canvas.dataset.last = String(typeof summary === 'number' ? summary : (summary || ''));
  canvas.dataset.max = String(highest);
  canvas.dataset.points = String(values.length);
  if (!canvas.dataset.label) canvas.dataset.label = canvas.getAttribute('aria-label');
  canvas.setAttribute('aria-label', `${canvas.dataset.label}: now ${text}`);
}
