/**
 * decodeFetchedBatch sizes its columns once, from the record counts in the fetch's batch headers,
 * instead of growing them from a small start. A count is trusted only as far as the batch's bytes
 * could hold it uncompressed: these tests check that the records are still all there when a
 * compressed batch holds more, that a partial batch at the end of a fetch is not counted, and that
 * a damaged count is refused as before rather than sizing the arrays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FetchedPartition } from '../../../src/connectors/index.js';
import { encodeRecordBatch, RECORD_COUNT, type RecordInput } from '../../../src/records/index.js';
import { CorruptRecordError } from '../../../src/records/errors.js';
import { columnCapacity, decodeFetched, decodeFetchedBatch } from '../../../src/engine/runtime/decode.js';
import type { InputBatch } from '../../../src/engine/input-batch.js';

function fetchOf(records: Buffer, nextOffset: number): FetchedPartition {
  return { topic: 't', partition: 0, fetchOffset: 0, records, abortedTransactions: [], nextOffset, highWatermark: nextOffset, lastStableOffset: nextOffset };
}

function plain(baseOffset: number, n: number): Buffer {
  const records: RecordInput[] = [];
  for (let i = 0; i < n; i++) records.push({ key: i % 3 === 0 ? null : Buffer.from(`k${baseOffset + i}`), value: Buffer.from(`v${baseOffset + i}`), timestamp: 1000 + i });
  return encodeRecordBatch({ baseOffset, records });
}

function objects(b: InputBatch) {
  const out = [];
  for (let i = b.from; i < b.to; i++) out.push(b.record(i));
  return out;
}

test('plain batches: the columns are sized to the records exactly, and hold what decodeFetched gives; a partial batch at the end is left for the next fetch', () => {
  const whole = Buffer.concat([plain(0, 1000), plain(1000, 1000), plain(2000, 700)]);
  const partial = plain(2700, 500).subarray(0, 300);
  const f = fetchOf(Buffer.concat([whole, partial]), 2700);
  const now = decodeFetchedBatch(f, false, Infinity);
  assert.equal(now.batch.length, 2700);
  // Grown by doubling from 256 this was 4096.
  assert.equal(now.batch.columns.offsets.length, 2700);
  assert.deepEqual(objects(now.batch), decodeFetched(f, false, Infinity).records);
  assert.equal(now.next, 2700);
});

test('a compressed batch with more records than its bytes could hold uncompressed: all of them are read (the columns grow)', () => {
  const same: RecordInput[] = Array.from({ length: 3000 }, () => ({ key: null, value: Buffer.from('same value'), timestamp: 7 }));
  const zipped = encodeRecordBatch({ baseOffset: 10, compression: 'gzip', records: same });
  // The premise: the batch's bytes are fewer than 3,000 minimal (7-byte) records take.
  assert.ok(zipped.length - 61 < 3000 * 7, `${zipped.length} bytes`);
  const f = fetchOf(Buffer.concat([plain(0, 10), zipped, plain(3010, 5)]), 3015);
  const now = decodeFetchedBatch(f, false, Infinity);
  assert.equal(now.batch.length, 3015);
  assert.deepEqual(objects(now.batch), decodeFetched(f, false, Infinity).records);
});

test('a batch whose record count is damaged is refused as decodeFetched refuses it, without arrays of that size', () => {
  for (const count of [0x7fffffff, 5000, -3]) {
    const bad = Buffer.from(plain(0, 50));
    bad.writeInt32BE(count, RECORD_COUNT);
    const f = fetchOf(Buffer.concat([bad, plain(50, 10)]), 60);
    // Room for at most what the bytes can hold (7 bytes a record), whatever the header says.
    assert.ok(columnCapacity(f.records) <= f.records.length / 7, `capacity ${columnCapacity(f.records)} for ${f.records.length} bytes`);
    assert.throws(() => decodeFetched(f, false, Infinity), CorruptRecordError);
    assert.throws(() => decodeFetchedBatch(f, false, Infinity), CorruptRecordError);
  }
});
