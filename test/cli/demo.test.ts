import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './run-cli.js';

interface Summary {
  events_in: number;
  results_out: number;
  events_per_sec: number;
  p50_ms: number;
  p99_ms: number;
  late_records: number;
  alerts: number;
}

test('tributary demo runs the clickstream pipelines and prints the DESIGN.md summary', { timeout: 600_000 }, async () => {
  const r = await runCli(['demo', '--duration', '25s', '--rate', '1000', '--alert-threshold', '0.05', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'exactly one JSON object on stdout');
  const s = JSON.parse(lines[0]!) as Summary;
  assert.deepEqual(Object.keys(s).sort(), ['alerts', 'events_in', 'events_per_sec', 'late_records', 'p50_ms', 'p99_ms', 'results_out']);
  // the generator keeps its rate by elapsed time; the 25 s timer may fire late on a busy machine, never early
  assert.ok(s.events_in > 20_000, `events_in ${s.events_in}`);
  assert.ok(Math.abs(s.events_per_sec - 1000) < 200, `events_per_sec ${s.events_per_sec}`);
  // page views, trending, alerts and error events came out, committed
  assert.ok(s.results_out > 100, `results_out ${s.results_out}`);
  // the error burst 2-10 s into the run pushes at least one 10 s window over 5 % errors
  assert.ok(s.alerts >= 1, `alerts ${s.alerts}`);
  // 0.2 % of clicks arrive 5-15 s late: past grace, they go to the late side output
  assert.ok(s.late_records > 0, `late_records ${s.late_records}`);
  assert.ok(s.p50_ms > 0 && s.p99_ms >= s.p50_ms, `latency p50 ${s.p50_ms} p99 ${s.p99_ms}`);
});

test('demo rejects a malformed duration with a usage error', async () => {
  const r = await runCli(['demo', '--duration', 'soon']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /duration/);
});
