// Finds the highest request rate the server sustains: an open model (ramping-arrival-rate, no
// think time) that climbs through RATES, holding each for STEP, and aborts as soon as the global
// thresholds break (p95 < 200 ms, p99 < 500 ms, < 1% failed). Requests are tagged with the step
// they were sent in, and handleSummary reports, per step, the achieved rate, latency and
// failures, and the highest step that was sustained: achieved >= 95% of the target rate with
// every threshold met inside that step.
// Env: BASE_URL, SCALE (step/ramp duration multiplier), RATES (requests/s, comma separated),
// STEP (hold per rate, default 20s), RAMP (between rates, default 5s), MAX_VUS (default 1000),
// RESULTS_DIR (also writes stress-result.json there).
import exec from 'k6/execution';
import { makeEvent, postTelemetry, scaled, SUMMARY_TREND_STATS } from './lib/telemetry.js';

const RATES = (__ENV.RATES || '50,100,200,400,800,1600,3200,6400,12800')
  .split(',')
  .map((r) => parseInt(r, 10));
const STEP_SECONDS = parseInt(scaled(__ENV.STEP || '20s'), 10);
const RAMP_SECONDS = parseInt(scaled(__ENV.RAMP || '5s'), 10);
const SUSTAINED_FRACTION = 0.95;

const stages = [];
const holds = []; // [startSeconds, endSeconds) of each hold, relative to the scenario start
let t = 0;
for (const rate of RATES) {
  stages.push({ duration: `${RAMP_SECONDS}s`, target: rate });
  t += RAMP_SECONDS;
  stages.push({ duration: `${STEP_SECONDS}s`, target: rate });
  holds.push([t, t + STEP_SECONDS]);
  t += STEP_SECONDS;
}

const thresholds = {
  http_req_duration: [
    { threshold: 'p(95)<200', abortOnFail: true, delayAbortEval: '5s' },
    { threshold: 'p(99)<500', abortOnFail: true, delayAbortEval: '5s' },
  ],
  http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true, delayAbortEval: '5s' }],
};
// A threshold on a tagged sub-metric is what makes k6 keep that sub-metric for handleSummary;
// these always pass and only carry the per-step numbers.
RATES.forEach((_, i) => {
  thresholds[`http_reqs{step:${i}}`] = ['count>=0'];
  thresholds[`http_req_duration{step:${i}}`] = ['max>=0'];
  thresholds[`http_req_failed{step:${i}}`] = ['rate>=0'];
});

export const options = {
  scenarios: {
    stress: {
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      preAllocatedVUs: 50,
      maxVUs: parseInt(__ENV.MAX_VUS || '1000', 10),
      stages,
    },
  },
  thresholds,
  summaryTrendStats: SUMMARY_TREND_STATS,
};

function currentStep() {
  const elapsed = (Date.now() - exec.scenario.startTime) / 1000;
  for (let i = 0; i < holds.length; i++) {
    if (elapsed >= holds[i][0] && elapsed < holds[i][1]) return String(i);
  }
  return 'ramp';
}

export default function () {
  postTelemetry(makeEvent(exec.scenario.iterationInTest, false), { step: currentStep() });
}

// runSeconds: how long the test ran; a step cut short by an abort is rated over the part of its
// hold that actually ran.
function stepReport(metrics, runSeconds) {
  return RATES.map((rate, i) => {
    const reqs = metrics[`http_reqs{step:${i}}`];
    const dur = metrics[`http_req_duration{step:${i}}`];
    const failed = metrics[`http_req_failed{step:${i}}`];
    const count = reqs ? reqs.values.count : 0;
    const held = Math.min(STEP_SECONDS, Math.max(0, runSeconds - holds[i][0]));
    const achieved = held > 0 ? count / held : 0;
    const p95 = dur && count > 0 ? dur.values['p(95)'] : null;
    const p99 = dur && count > 0 ? dur.values['p(99)'] : null;
    const failRate = failed && count > 0 ? failed.values.rate : null;
    const sustained =
      count > 0 &&
      achieved >= SUSTAINED_FRACTION * rate &&
      p95 < 200 &&
      p99 < 500 &&
      failRate < 0.01;
    return { step: i, target_rate: rate, held_seconds: held, requests: count, achieved_rate: achieved, p95_ms: p95, p99_ms: p99, failed_rate: failRate, sustained };
  });
}

function fmt(v, digits) {
  return v === null || v === undefined ? '-' : v.toFixed(digits);
}

export function handleSummary(data) {
  const steps = stepReport(data.metrics, data.state.testRunDurationMs / 1000);
  let best = null;
  for (const s of steps) {
    if (s.requests === 0) break;
    if (!s.sustained) break;
    best = s;
  }
  const broken = Object.entries(data.metrics)
    .filter(([name]) => !name.includes('{step:'))
    .flatMap(([name, m]) => Object.entries(m.thresholds || {}).filter(([, r]) => !r.ok).map(([th]) => `${name} ${th}`));
  const lines = [
    'stress_test: per-step results (hold of ' + STEP_SECONDS + ' s per rate)',
    '  step  target/s  held s  achieved/s  requests    p95 ms    p99 ms  failed %  sustained',
  ];
  for (const s of steps) {
    if (s.requests === 0) continue;
    lines.push(
      `  ${String(s.step).padStart(4)}  ${String(s.target_rate).padStart(8)}  ${fmt(s.held_seconds, 1).padStart(6)}` +
        `  ${fmt(s.achieved_rate, 1).padStart(10)}` +
        `  ${String(s.requests).padStart(8)}  ${fmt(s.p95_ms, 2).padStart(8)}  ${fmt(s.p99_ms, 2).padStart(8)}` +
        `  ${fmt(s.failed_rate === null ? null : s.failed_rate * 100, 2).padStart(8)}  ${s.sustained ? 'yes' : 'NO'}`,
    );
  }
  lines.push(
    best
      ? `highest sustained rate: ${best.target_rate} req/s (achieved ${fmt(best.achieved_rate, 1)} req/s, p95 ${fmt(best.p95_ms, 2)} ms, p99 ${fmt(best.p99_ms, 2)} ms)`
      : 'highest sustained rate: none (the first step already missed its target or thresholds)',
  );
  lines.push(`thresholds broken: ${broken.length ? broken.join(', ') : 'none'}`);
  const dropped = data.metrics.dropped_iterations ? data.metrics.dropped_iterations.values.count : 0;
  const lastRun = steps.filter((s) => s.requests > 0).pop();
  if (lastRun && !lastRun.sustained && lastRun.achieved_rate < SUSTAINED_FRACTION * lastRun.target_rate) {
    lines.push(
      `achieved rate fell short of the target with ${dropped} dropped iterations: either the server ` +
        'stopped keeping up (VUs piled up to MAX_VUS) or the load generator itself is the limit (check its CPU)',
    );
  }
  lines.push(`run time: ${fmt(data.state.testRunDurationMs / 1000, 1)} s`);
  const result = {
    highest_sustained_rate: best ? best.target_rate : 0,
    highest_sustained_achieved_rate: best ? best.achieved_rate : 0,
    thresholds_broken: broken,
    dropped_iterations: data.metrics.dropped_iterations ? data.metrics.dropped_iterations.values.count : 0,
    steps,
  };
  const out = { stdout: lines.join('\n') + '\n' };
  if (__ENV.RESULTS_DIR) out[`${__ENV.RESULTS_DIR}/stress-result.json`] = JSON.stringify(result, null, 2);
  return out;
}
