/**
 * The runtime hands a task the columns of a fetch (InputBatch, src/engine/input-batch.ts), the
 * test driver hands it record objects: both must give exactly the same outputs, dead letters and
 * record contexts. And the task's shortcut that skips advance() after a record that cannot have
 * changed the watermark must never delay a timer that is already due.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Processor,
  StreamsApp,
  TopologyTestDriver,
  json,
  string,
  type ProcessorContext,
  type ProcessorRecord,
  type TimerFiring,
} from '../../src/index.js';
import { encodeRecordBatch, type RecordInput } from '../../src/records/index.js';
import { decodeFetchedBatch } from '../../src/engine/runtime/decode.js';

interface Ev {
  id: number;
  ts: number;
}

const ENC = (v: unknown) => Buffer.from(JSON.stringify(v));

/** Input with a record that is not JSON, a null value (no tombstones on streams) and headers. */
const input: RecordInput[] = Array.from({ length: 40 }, (_, i): RecordInput => {
  const key = i % 9 === 0 ? null : Buffer.from(`u${i % 4}`);
  if (i === 13) return { key, value: Buffer.from('{not json'), timestamp: 500 + i };
  if (i === 21) return { key, value: null, timestamp: 500 + i };
  const headers = i % 5 === 0 ? [{ key: 'trace', value: Buffer.from(`t${i}`) }] : undefined;
  return { key, value: ENC({ id: i, ts: 1000 + ((i * 7) % 13) * 100 }), timestamp: 500 + i, ...(headers ? { headers } : {}) };
});

/** The same records as the test driver takes them (one batch for the partition). */
const raw = input.map((r) => ({ partition: 0, key: (r.key ?? null) as Buffer | null, value: (r.value ?? null) as Buffer | null, timestamp: r.timestamp!, headers: r.headers ?? [] }));

function build(seen: unknown[]) {
  const app = new StreamsApp({ applicationId: 'columnar', maxOutOfOrderness: '1s' });
  app
    .stream('ev', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts })
    .peek((e, k, r) => seen.push([k, e.id, r.timestamp, r.topic, r.partition, r.offset, r.headers.map((h) => `${h.key}=${h.value}`)]))
    .filter((e) => e.id % 3 !== 0)
    .mapValues((e) => e.id * 10)
    .to('out', { value: json() });
  return app;
}

/** Everything a task wrote: outputs and dead letters, bytes and headers. */
function written(driver: TopologyTestDriver, topic: string) {
  return driver.peekAll(topic).map((r) => ({
    key: r.key?.toString() ?? null,
    value: r.value?.toString() ?? null,
    timestamp: r.timestamp,
    headers: r.headers.filter((h) => h.key !== 'tributary.error.stack').map((h) => `${h.key}=${h.value}`),
  }));
}

test('a task fed the columns of a fetch gives the outputs, dead letters and record contexts it gives for record objects', () => {
  const seenObjects: unknown[] = [];
  const byObjects = new TopologyTestDriver(build(seenObjects));
  byObjects.pipe('ev', raw);

  const seenColumns: unknown[] = [];
  const byColumns = new TopologyTestDriver(build(seenColumns));
  const records = Buffer.concat([encodeRecordBatch({ records: input.slice(0, 17) }), encodeRecordBatch({ baseOffset: 17, compression: 'gzip', records: input.slice(17) })]);
  const { batch } = decodeFetchedBatch(
    { topic: 'ev', partition: 0, fetchOffset: 0, records, abortedTransactions: null, nextOffset: 40, highWatermark: 40, lastStableOffset: 40 },
    false,
    Infinity,
  );
  assert.equal(batch.length, 40);
  const [task] = byColumns.allTasks;
  task!.process(batch.slice(0, 25));
  task!.process(batch.slice(25, 40));

  assert.deepEqual(seenColumns, seenObjects);
  assert.equal(seenObjects.length, 38);
  const out = written(byObjects, 'out');
  assert.equal(out.length, 25); // ids 0..39 without 13, 21 and the other 13 multiples of 3
  assert.deepEqual(written(byColumns, 'out'), out);
  const dlq = written(byObjects, 'columnar-dlq');
  assert.equal(dlq.length, 2);
  assert.ok(dlq.every((r) => r.headers.includes('tributary.source.topic=ev')));
  assert.deepEqual(
    dlq.map((r) => r.headers.find((h) => h.startsWith('tributary.source.offset='))),
    ['tributary.source.offset=13', 'tributary.source.offset=21'],
  );
  assert.deepEqual(written(byColumns, 'columnar-dlq'), dlq);
});

/** Forwards each record, and registers a timer at the operator's watermark: due at once. */
class DueNow extends Processor<string, Ev, string, string> {
  process(r: ProcessorRecord<string, Ev>, ctx: ProcessorContext<string, string, string>): void {
    ctx.forward(r.key, `rec ${r.value.id}`);
    if (ctx.watermark > -Infinity) ctx.timers.registerEventTime(ctx.watermark);
  }
  override onTimer(t: TimerFiring, ctx: ProcessorContext<string, string, string>): void {
    ctx.forward(ctx.key, `timer ${ctx.key}@${t.time}`);
  }
}

test('a timer due at the current watermark fires right after the record that set it, also when the watermark did not move', () => {
  const app = new StreamsApp({ applicationId: 'due', maxOutOfOrderness: 0 });
  app
    .stream('ev', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts })
    .process(() => new DueNow(), { name: 'due' })
    .to('out', { value: string() });
  const driver = new TopologyTestDriver(app);
  // Same event time throughout: after the first record nothing moves the watermark.
  const evs = Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: { id: i, ts: 1000 } }));
  driver.input('ev', { key: string(), value: json<Ev>() }).pipeAll(evs);
  const expected = ['rec 0'];
  for (let i = 1; i < 6; i++) expected.push(`rec ${i}`, `timer k${i}@1000`);
  assert.deepEqual(driver.output('out', { value: string() }).readValues(), expected);
});

test('records that leave the watermark where it was skip the recomputation (and results stay those of the reference)', () => {
  const seen: unknown[] = [];
  const driver = new TopologyTestDriver(build(seen));
  // Event times that only sometimes move the watermark.
  driver.pipe('ev', raw);
  const [task] = driver.allTasks;
  assert.ok(task!.skippedAdvances > 0, 'the shortcut is taken');
  const ids = input.flatMap((r, i) => (i === 13 || i === 21 ? [] : [i])).filter((i) => i % 3 !== 0);
  assert.deepEqual(
    written(driver, 'out').map((r) => Number(r.value)),
    ids.map((i) => i * 10),
  );
  assert.equal(task!.watermark, Math.max(...input.flatMap((r, i) => (i === 13 || i === 21 ? [] : [1000 + ((i * 7) % 13) * 100]))) - 1000);
});
