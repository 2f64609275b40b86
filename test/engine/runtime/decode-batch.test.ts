import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FetchedPartition } from '../../../src/connectors/index.js';
import { encodeControlBatch, encodeRecordBatch, type RecordInput } from '../../../src/records/index.js';
import { decodeFetched, decodeFetchedBatch } from '../../../src/engine/runtime/decode.js';
import type { InputBatch } from '../../../src/engine/input-batch.js';
import { markerHeaders } from '../../../src/engine/watermarks.js';

/**
 * A fetch as a read_committed read returns it: a plain batch, a committed transaction of
 * producer 1, an aborted one of producer 2 (in the fetch, listed as aborted), their markers,
 * watermark markers of the engine, and a compressed batch.
 */
function fetch(fetchOffset: number): FetchedPartition {
  const rec = (i: number, extra: Partial<RecordInput> = {}): RecordInput => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), timestamp: 1000 + i, ...extra });
  const parts = [
    encodeRecordBatch({ baseOffset: 0, records: [rec(0), rec(1, { key: null }), rec(2, { headers: [{ key: 'h', value: Buffer.from('x') }] })] }),
    encodeRecordBatch({ baseOffset: 3, producerId: 1, producerEpoch: 0, baseSequence: 0, transactional: true, records: [rec(3), rec(4)] }),
    encodeRecordBatch({ baseOffset: 5, producerId: 2, producerEpoch: 0, baseSequence: 0, transactional: true, records: [rec(5), rec(6)] }),
    encodeControlBatch({ type: 'abort', producerId: 2, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1, baseOffset: 7 }),
    encodeControlBatch({ type: 'commit', producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1, baseOffset: 8 }),
    encodeRecordBatch({
      baseOffset: 9,
      records: [
        { key: null, value: null, timestamp: 5, headers: markerHeaders(100, 0, 2, false) },
        rec(10, { offsetDelta: 1 }),
        { key: null, value: null, timestamp: 5, headers: markerHeaders(200, 1, 2, true), offsetDelta: 2 },
      ],
    }),
    encodeRecordBatch({ baseOffset: 12, compression: 'gzip', records: [rec(12), rec(13), rec(14)] }),
  ];
  return {
    topic: 't',
    partition: 3,
    fetchOffset,
    records: Buffer.concat(parts),
    abortedTransactions: [{ producerId: 2, firstOffset: 5 }],
    nextOffset: 15,
    highWatermark: 15,
    lastStableOffset: 15,
  };
}

function objects(b: InputBatch) {
  const out = [];
  for (let i = b.from; i < b.to; i++) out.push(b.record(i));
  return out;
}

test('decodeFetchedBatch: the records, next offset and marker count of decodeFetched, for any fetch offset and end (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 17 }), fc.boolean(), (from, stopAt, copy) => {
      const f = fetch(from);
      const old = decodeFetched(f, copy, stopAt);
      const now = decodeFetchedBatch(f, copy, stopAt);
      assert.deepEqual(objects(now.batch), old.records);
      assert.equal(now.batch.length, old.records.length);
      assert.equal(now.next, old.next);
      assert.equal(now.markers, old.markers);
    }),
    { numRuns: 200 },
  );
  // The aborted transaction and the control records are not there; the markers are counted.
  const all = decodeFetchedBatch(fetch(0), false, Infinity);
  assert.deepEqual(
    objects(all.batch).map((r) => r.offset),
    [0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 14],
  );
  assert.equal(all.markers, 2);
});

test('decodeFetchedBatch: views without copy; copies with it (a table store keeps them)', () => {
  const f = fetch(0);
  const views = decodeFetchedBatch(f, false, Infinity).batch;
  const copies = decodeFetchedBatch(f, true, Infinity).batch;
  const before = Buffer.from(f.records);
  copies.value(0)![0] = 0x21;
  copies.key(0)![0] = 0x21;
  assert.deepEqual(f.records, before, 'copies: the fetched bytes are untouched');
  views.value(0)![0] = 0x21;
  assert.notDeepEqual(f.records, before, 'views: the fetched bytes are written through');
  assert.equal(views.value(0)!.toString(), '!0');
});
