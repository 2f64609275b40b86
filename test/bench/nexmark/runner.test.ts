// The runner on the embedded log: the bounded run over pre-written events and the run fed by the
// generator while the app runs both see every event and produce the query's exact output count
// (checked against the generator's events), with CPU-based throughput and, fed live, latency.
// And the chart: one bar per measured query.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateEvents } from '../../../bench/nexmark/generator.js';
import { runNexmark } from '../../../bench/nexmark/runner.js';
import { barChartSvg } from '../../../bench/nexmark/chart.js';

const N = 30_000;
const q2Rows = generateEvents(N).filter((e) => e.type === 'bid' && e.auction % 123 === 0).length;

test('source log: a bounded run over pre-written events gives q2 exactly its rows', async () => {
  assert.ok(q2Rows > 0);
  const r = await runNexmark({ query: 'q2', events: N, source: 'log' });
  assert.equal(r.outputs, q2Rows);
  assert.equal(r.events, N);
  assert.ok(r.events_per_core_sec > 0 && r.events_per_sec > 0 && r.cpu_seconds > 0);
  assert.ok(r.peak_rss_mb > 10);
  assert.equal(r.p50_ms, null, 'no latency for pre-written input');
  // Counted from the first event's decoding (what the Flink peer comparison uses): a part of the run.
  const fromFirst = r.cpu_seconds_from_first_event;
  assert.ok(fromFirst !== undefined && fromFirst > 0 && fromFirst <= r.cpu_seconds, `${fromFirst} of ${r.cpu_seconds}`);
  const rate = r.events_per_core_sec_from_first_event!;
  assert.ok(Math.abs(rate - N / fromFirst) / rate < 0.01, `${rate} vs ${N} / ${fromFirst}`);
  assert.ok(r.seconds_from_first_event! > 0 && r.seconds_from_first_event! <= r.seconds + 0.001);
});

test('source generator: events appended while the app runs, latency append -> commit', async () => {
  const r = await runNexmark({ query: 'q2', events: N, source: 'generator', partitions: 2 });
  assert.equal(r.outputs, q2Rows);
  assert.ok(r.p50_ms !== null && r.p99_ms !== null && r.p50_ms >= 0 && r.p99_ms >= r.p50_ms);
});

test('the SVG chart has a bar and a label per measured query, and says which are missing', () => {
  const svg = barChartSvg('t', ['q0', 'q5'], [
    { name: 'Tributary', color: '#00f', values: new Map([['q0', 250_000], ['q5', 20_000]]) },
    { name: 'Flink', color: '#f00', values: new Map([['q0', 400_000]]) },
  ]);
  assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal(svg.match(/<rect x="60" y="\d+" width="[\d.]+" height="12"/g)?.length, 3);
  assert.match(svg, />250K</);
  assert.match(svg, />20\.0K</);
  assert.match(svg, /not measured/);
});
