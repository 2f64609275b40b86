// The blackhole sink (runner --sink blackhole, the Flink comparison's timed runs): a query built
// with a blackhole output hands its forEach exactly the rows the log sink writes (same rows, same
// order), and the runner counts them as outputs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamsApp, TopologyTestDriver, json } from '../../../src/index.js';
import { generateEvents } from '../../../bench/nexmark/generator.js';
import { runNexmark } from '../../../bench/nexmark/runner.js';
import { queryNamed } from '../../../bench/nexmark/queries/index.js';
import { EVENTS_TOPIC, blackhole, buildQuery, type NexmarkOutput } from '../../../bench/nexmark/queries/query.js';
import { testEvents } from './support.js';

/** The rows `query` gives over the events, through `output`: a topic's JSON values or the blackhole's rows. */
function rowsThrough(name: string, sink: 'log' | 'blackhole', events = testEvents().slice(0, 15_000)): unknown[] {
  const query = queryNamed(name)!;
  const app = new StreamsApp({ applicationId: `bh-${name}-${sink}` });
  const held: unknown[] = [];
  const output: NexmarkOutput = sink === 'log' ? 'out' : blackhole((row) => held.push(JSON.parse(JSON.stringify(row))));
  const source = buildQuery(app, query, output);
  const driver = new TopologyTestDriver(app, { partitions: { [EVENTS_TOPIC]: 1 } });
  try {
    const input = driver.input(source);
    for (const e of events) input.pipe({ key: null, value: e, timestamp: e.dateTime });
    driver.drain();
    if (sink === 'blackhole') {
      assert.equal(driver.output('out').isEmpty, true, 'the blackhole writes nothing');
      return held;
    }
    return driver.output<unknown, unknown>('out', { value: json() }).readValues();
  } finally {
    driver.close();
  }
}

for (const q of ['q0', 'q1', 'q2', 'q5', 'q11', 'q20']) {
  test(`${q}: the blackhole gets the rows the log sink writes, in the same order`, () => {
    const logged = rowsThrough(q, 'log');
    assert.ok(logged.length > 0, 'the query has rows over these events');
    assert.deepEqual(rowsThrough(q, 'blackhole'), logged);
  });
}

test('runner --sink blackhole: every q0 row counted as an output, the run reports its sink', async () => {
  const n = 20_000;
  const bids = generateEvents(n).filter((e) => e.type === 'bid').length;
  const r = await runNexmark({ query: 'q0', events: n, source: 'log', sink: 'blackhole' });
  assert.equal(r.sink, 'blackhole');
  assert.equal(r.outputs, bids);
  const logged = await runNexmark({ query: 'q0', events: n, source: 'log' });
  assert.equal(logged.sink, 'log');
  assert.equal(logged.outputs, bids);
});

test('tributary bench nexmark rejects an unknown --sink before running anything', async () => {
  const { main } = await import('../../../src/cli/main.js');
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main(['bench', 'nexmark', '--query', 'q0', '--sink', 'kafka', '--no-save']);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(code, 2, written.join(''));
  assert.match(written.join(''), /--sink must be log or blackhole/);
});
