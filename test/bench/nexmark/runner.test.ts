// The runner on the embedded log: the bounded run over pre-written events and the run fed by the
// generator while the app runs both see every event and produce the query's exact output count
// (checked against the generator's events), with CPU-based throughput and, fed live, latency.
// And the chart: one bar per measured query. The same on a real Kafka cluster and on `tributary
// broker` (the runner's `kafka` option, the CLI's --brokers), which must delete the run's topics.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { kafka, type KafkaLog } from '../../../src/connectors/kafka/index.js';
import { targets } from '../../connectors/kafka/logs.js';
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

/** Every topic of the cluster (Metadata for all topics). */
async function topicsOf(brokers: string): Promise<Set<string>> {
  const log = (await kafka({ brokers }).connect()) as KafkaLog;
  try {
    const md = await log.client.metadata(null);
    return new Set(md.topics.flatMap((t) => (t.errorCode === 0 && t.name !== null ? [t.name] : [])));
  } finally {
    await log.close();
  }
}

/** Topics of a cluster once the deletions it acknowledged have gone through (Kafka deletes asynchronously). */
async function settledTopics(brokers: string, expected: ReadonlySet<string>): Promise<Set<string>> {
  let topics = await topicsOf(brokers);
  for (let i = 0; i < 100 && [...topics].some((t) => !expected.has(t)); i++) {
    await new Promise((r) => setTimeout(r, 100));
    topics = await topicsOf(brokers);
  }
  return topics;
}

for (const target of targets()) {
  describe(`the runner on ${target.name === 'kafka' ? 'a real Kafka cluster' : 'tributary broker'} (--brokers)`, { skip: target.skip }, () => {
    after(() => target.stop());

    test('source log: q2 gives exactly its rows, q5 (a keyBy, windows, changelogs) the rows of the embedded run; the runs leave no topic behind', { timeout: 300_000 }, async () => {
      const brokers = await target.start();
      const before = await topicsOf(brokers);
      const q2 = await runNexmark({ query: 'q2', events: N, source: 'log', kafka: brokers });
      assert.equal(q2.log, 'kafka');
      assert.equal(q2.outputs, q2Rows);
      assert.ok(q2.events_per_core_sec > 0 && q2.cpu_seconds > 0);
      const q5 = await runNexmark({ query: 'q5', events: N, source: 'log', kafka: brokers, repartition: 'log' });
      const q5Embedded = await runNexmark({ query: 'q5', events: N, source: 'log' });
      assert.ok(q5Embedded.outputs > 0);
      assert.equal(q5.outputs, q5Embedded.outputs);
      assert.deepEqual([...(await settledTopics(brokers, before))].filter((t) => !before.has(t) && !t.startsWith('__')), []);
    });

    test('source generator: events produced while the app runs, every q2 row, latency append -> commit', { timeout: 300_000 }, async () => {
      const brokers = await target.start();
      const r = await runNexmark({ query: 'q2', events: N, source: 'generator', partitions: 2, kafka: brokers });
      assert.equal(r.outputs, q2Rows);
      assert.ok(r.p50_ms !== null && r.p99_ms !== null && r.p50_ms >= 0 && r.p99_ms >= r.p50_ms);
    });
  });
}
