// Keyed aggregations with emit 'batch' send the last update per key of each input batch (Flink's
// mini-batch, Kafka Streams' record cache): the table is the same as with every update, a held
// update never turns late downstream, and the default still sends every update.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, TopologyTestDriver, float64, json, string, tumbling, windowed, type AggregateOptions } from '../../src/index.js';
import { rng } from '../support/rng.js';

interface Ev {
  key: string;
  n: number;
  ts: number;
}

function sums(emit: AggregateOptions['emit']) {
  const a = new StreamsApp({ applicationId: 'agg-emit-batch' });
  // The watermark stays an hour behind: no held update is due before its batch ends.
  a.stream('in', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts, maxOutOfOrderness: '1h' })
    .groupByKey()
    .aggregate<number>(() => 0, (acc, e) => acc + e.n, { name: 'sums', ...(emit ? { emit } : {}) })
    .toStream()
    .to('out', { value: float64() });
  return a;
}

function events(count: number, keys: number, seed: number): Ev[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, i) => ({ key: `k${Math.floor(r() * keys)}`, n: 1 + Math.floor(r() * 9), ts: i * 10 }));
}

test("emit 'batch': one update per changed key per input batch, the key's latest sum, in the order of first change; the table equals every-update's", () => {
  const input = events(3_000, 40, 11);
  const batched = new TopologyTestDriver(sums('batch'));
  const every = new TopologyTestDriver(sums(undefined));
  try {
    const running = new Map<string, number>();
    const inB = batched.input('in', { key: string(), value: json<Ev>() });
    const inE = every.input('in', { key: string(), value: json<Ev>() });
    const outB = batched.output('out', { key: string(), value: float64() });
    const outE = every.output('out', { key: string(), value: float64() });
    for (let i = 0; i < input.length; i += 500) {
      const batch = input.slice(i, i + 500);
      inB.pipeAll(batch.map((e) => ({ key: e.key, value: e, timestamp: e.ts })));
      inE.pipeAll(batch.map((e) => ({ key: e.key, value: e, timestamp: e.ts })));
      const firstChange: string[] = [];
      const lastTs = new Map<string, number>();
      for (const e of batch) {
        running.set(e.key, (running.get(e.key) ?? 0) + e.n);
        if (!lastTs.has(e.key)) firstChange.push(e.key);
        lastTs.set(e.key, e.ts);
      }
      const got = outB.readRecords();
      assert.deepEqual(got.map((r) => [r.key, r.value]), firstChange.map((k) => [k, running.get(k)]));
      // Each update carries the timestamp of the key's last record in the batch.
      assert.deepEqual(got.map((r) => r.timestamp), firstChange.map((k) => lastTs.get(k)));
      // The default sends every record's update.
      assert.equal(outE.readRecords().length, batch.length);
    }
    const tableOf = (d: TopologyTestDriver) => [...d.stateStores('sums')[0]!.all()].map((e) => `${e.key.toString('latin1')}=${e.value.toString('hex')}`).sort();
    assert.deepEqual(tableOf(batched), tableOf(every));
    assert.equal(tableOf(batched).length, running.size);
  } finally {
    batched.close();
    every.close();
  }
});

test("emit 'batch' before a window: held updates go downstream before the watermark closes their window (none late), whatever the batch size", () => {
  // Records 1 s apart, 3 s out-of-orderness, windows of 10 s: within one batch of 100 records the
  // watermark passes nine window ends; an update held to the batch's end would be late there.
  const input = events(1_000, 5, 12).map((e, i) => ({ ...e, ts: i * 1_000 }));
  const app = () => {
    const a = new StreamsApp({ applicationId: 'agg-emit-batch-window' });
    const updates = a
      .stream('in', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts, maxOutOfOrderness: '3s' })
      .groupByKey()
      .aggregate<number>(() => 0, (acc, e) => acc + e.n, { name: 'sums', emit: 'batch' })
      .toStream();
    updates.to('sums', { value: float64() });
    updates.groupByKey().window(tumbling('10s')).count({ name: 'updates' }).toStream().to('out', { key: windowed(string()), value: float64() });
    return a;
  };
  for (const size of [1, 7, 100, 1_000]) {
    const driver = new TopologyTestDriver(app(), { maxBatchSize: size });
    try {
      driver.input('in', { key: string(), value: json<Ev>() }).pipeAll(input.map((e) => ({ key: e.key, value: e, timestamp: e.ts })));
      driver.drain();
      assert.equal(driver.metrics().lateRecords, 0, `batch size ${size}`);
      assert.equal(driver.deadLetters().length, 0);
      // Each window counts exactly the updates sent with a timestamp in it: none was dropped as late.
      const sent = driver.output('sums', { key: string(), value: float64() }).readRecords();
      const expected = new Map<string, number>();
      for (const r of sent) {
        const w = `${r.key}@${Math.floor(r.timestamp / 10_000) * 10_000}`;
        expected.set(w, (expected.get(w) ?? 0) + 1);
      }
      const counts = driver.output('out', { key: windowed(string()), value: float64() }).readRecords();
      assert.deepEqual(new Map(counts.map((r) => [`${r.key!.key}@${r.key!.start}`, r.value!])), expected, `batch size ${size}`);
      // Updates were held and coalesced (2 of 3 records' keys repeat within the 3 s a record is held) once batches hold several records.
      if (size >= 100) assert.ok(sent.length < input.length * 0.9, `batch size ${size}: ${sent.length} updates`);
      else if (size === 1) assert.equal(sent.length, input.length);
    } finally {
      driver.close();
    }
  }
});
