/**
 * A repartitioned record carries its stamp before its value (src/engine/stamped-value.ts); records
 * written by earlier versions carry it in a header. The reading task must judge both alike, by
 * columns (the runtime) and by record objects (the test driver), and a dead letter must carry the
 * value as the writer's serde made it, without the stamp.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, TopologyTestDriver, json, string, tumbling } from '../../src/index.js';
import { encodeRecordBatch, type RecordHeader, type RecordInput } from '../../src/records/index.js';
import { decodeFetchedBatch } from '../../src/engine/runtime/decode.js';
import { readStamp, stampSkip, stampValue, STAMP_PREFIX } from '../../src/engine/stamped-value.js';
import { encodeDouble, markerHeaders, STAMP_HEADER } from '../../src/engine/watermarks.js';

test('stampValue: the stamp and the value bytes come back; null values; bytes that are not stamped are not taken for stamped', () => {
  for (const stamp of [-Infinity, Infinity, 1_700_000_000_123, -0.5, 0]) {
    for (const value of [null, Buffer.alloc(0), Buffer.from('k'), Buffer.from('x'.repeat(40))]) {
      const b = stampValue(stamp, value);
      const at = 3;
      const chunk = Buffer.concat([Buffer.from('abc'), b, Buffer.from('zz')]);
      const skip = stampSkip(chunk, at, b.length);
      assert.equal(readStamp(chunk, at), stamp);
      if (value === null) assert.equal(skip, -1);
      else {
        assert.equal(skip, STAMP_PREFIX);
        assert.deepEqual(chunk.subarray(at + skip, at + b.length), value);
      }
    }
  }
  // Too short, another first byte, or a null tag with bytes after it: read as they are.
  assert.equal(stampSkip(Buffer.from('S1234567'), 0, 8), 0);
  assert.equal(stampSkip(Buffer.from('{"a":12345}'), 0, 11), 0);
  const nullWithTail = Buffer.concat([stampValue(1, null), Buffer.from('x')]);
  assert.equal(stampSkip(nullWithTail, 0, nullWithTail.length), 0);
});

interface Ev {
  n: number;
}

function build(): StreamsApp {
  const app = new StreamsApp({ applicationId: 'sv' });
  app
    .stream('in', { key: string(), value: json<Ev>() })
    .keyBy((e) => `k${e.n % 2}`, { key: string(), value: json<Ev>(), name: 'k' })
    .window(tumbling('10s'))
    .count()
    .toStream()
    .to('out', { value: json() });
  return app;
}

const REP = 'sv-k-repartition';

/** Repartition records as a writer sends them: (key, value bytes, timestamp, stamp). */
const sent: Array<[string, Buffer | null, number, number]> = [
  ['k0', Buffer.from('{"n":0}'), 1_000, -Infinity],
  ['k1', Buffer.from('{"n":1}'), 2_000, 500],
  // Stamped past its window's end: late, whatever the task's own watermark.
  ['k0', Buffer.from('{"n":2}'), 3_000, 15_000],
  ['k1', Buffer.from('{not json'), 4_000, 600],
  ['k1', null, 5_000, 700],
  ['k0', Buffer.from('{"n":4}'), 12_000, 5_000],
];

function records(legacy: boolean): RecordInput[] {
  const out: RecordInput[] = sent.map(([key, value, timestamp, stamp]) =>
    legacy
      ? { key: Buffer.from(key), value, timestamp, headers: [{ key: STAMP_HEADER, value: encodeDouble(stamp) }] }
      : { key: Buffer.from(key), value: stampValue(stamp, value), timestamp, headers: [] },
  );
  // The one writer's last marker: its input ended, every window closes.
  out.push({ key: null, value: null, timestamp: 0, headers: markerHeaders(Infinity, 0, 1, false) });
  return out;
}

function run(legacy: boolean, columns: boolean) {
  const driver = new TopologyTestDriver(build(), { partitions: { in: 1, [REP]: 1 } });
  const task = driver.allTasks.find((t) => t.inputTopics.includes(REP))!;
  const input = records(legacy);
  if (columns) {
    const bytes = encodeRecordBatch({ records: input });
    const f = { topic: REP, partition: 0, fetchOffset: 0, records: bytes, abortedTransactions: null, nextOffset: input.length, highWatermark: input.length, lastStableOffset: input.length };
    task.process(decodeFetchedBatch(f, false, Infinity, true).batch);
  } else {
    task.process(input.map((r, offset) => ({ topic: REP, partition: 0, offset, timestamp: r.timestamp!, key: (r.key ?? null) as Buffer | null, value: (r.value ?? null) as Buffer | null, headers: (r.headers ?? []) as RecordHeader[] })));
  }
  const out = driver.peekAll('out').map((r) => `${r.key!.subarray(0, 2).toString()}@${r.key!.readBigInt64BE(2)}=${r.value}`);
  const dlq = driver.peekAll('sv-dlq').map((r) => ({
    offset: r.headers.find((h) => h.key === 'tributary.source.offset')?.value?.toString(),
    value: r.value === null ? null : r.value.toString(),
  }));
  return { out, dlq };
}

test('a task judges stamped values and stamp headers alike, by columns and by record objects; dead letters carry the value without its stamp', () => {
  const expected = run(false, true);
  // k0@0: n=0 (n=2 is late by its stamp); k0@10s: n=4; k1@0: n=1 (the bad and the null value are dead letters).
  assert.deepEqual(expected.out.sort(), ['k0@0=1', 'k0@10000=1', 'k1@0=1']);
  const byOffset = new Map(expected.dlq.map((d) => [d.offset, d.value]));
  assert.equal(byOffset.get('3'), '{not json');
  assert.equal(byOffset.get('4'), null);
  assert.ok(byOffset.has('2'), 'the late record is dead-lettered');
  for (const [legacy, columns] of [
    [false, false],
    [true, true],
    [true, false],
  ] as const) {
    const got = run(legacy, columns);
    assert.deepEqual(got.out.sort(), expected.out, `outputs, legacy ${legacy}, columns ${columns}`);
    assert.deepEqual(got.dlq, expected.dlq, `dead letters, legacy ${legacy}, columns ${columns}`);
  }
});
