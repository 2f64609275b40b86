import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RecordBatchBuilder } from '../../src/records/batch-builder.js';
import { encodeRecordBatch, RecordBatch, TributaryError, type RecordInput } from '../../src/records/index.js';

const header = fc.record({ key: fc.string({ maxLength: 12 }), value: fc.option(fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)), { nil: null }) });
const record: fc.Arbitrary<RecordInput & { timestamp: number }> = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), { nil: null }),
  // Timestamps around a base, earlier ones too: deltas are signed varlongs.
  timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
  headers: fc.array(header, { maxLength: 3 }),
});
const stamp = fc.record({
  producerId: fc.integer({ min: 0, max: 2 ** 40 }),
  producerEpoch: fc.integer({ min: 0, max: 0x7fff }),
  baseSequence: fc.integer({ min: 0, max: 0x7fffffff }),
  transactional: fc.boolean(),
});

test('a built batch is byte for byte what encodeRecordBatch gives for the same records', () => {
  fc.assert(
    fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), fc.option(stamp, { nil: undefined }), (records, s) => {
      // Tiny initial scratch so that growing is exercised too.
      const builder = new RecordBatchBuilder(16);
      let total = 61;
      for (const r of records) total += builder.append(r);
      assert.equal(builder.count, records.length);
      assert.equal(builder.sizeInBytes, total);
      const built = builder.build(s);
      assert.deepEqual(built, encodeRecordBatch({ records, ...s }));
      assert.equal(built.length, total);
      assert.equal(builder.count, 0);
    }),
  );
});

test('a builder is reused after build: the next batch holds only the records appended since', () => {
  const builder = new RecordBatchBuilder();
  builder.append({ key: Buffer.from('a'), value: Buffer.from('1'), timestamp: 10 });
  builder.build();
  const second = [
    { key: Buffer.from('b'), value: Buffer.from('22'), timestamp: 5 },
    { key: null, value: Buffer.from('333'), timestamp: 7, headers: [{ key: 'h', value: null }] },
  ];
  for (const r of second) builder.append(r);
  const batch = new RecordBatch(builder.build({ producerId: 3, producerEpoch: 1, baseSequence: 9, transactional: true }));
  batch.verify();
  assert.equal(batch.recordCount, 2);
  assert.equal(batch.baseSequence, 9);
  assert.equal(batch.isTransactional, true);
  assert.deepEqual(
    batch.records().map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString()]),
    [
      [0, 5, 'b', '22'],
      [1, 7, null, '333'],
    ],
  );
});

test('with a limit, a record that would take a non-empty batch past it is refused; an empty batch takes any record', () => {
  const builder = new RecordBatchBuilder();
  const r = { key: null, value: Buffer.alloc(100), timestamp: 1 };
  const first = builder.append(r, 200);
  assert.ok(first > 100);
  assert.equal(builder.append(r, 200), 0, 'a second one would pass 200 bytes');
  assert.equal(builder.count, 1);
  builder.clear();
  assert.ok(builder.append({ key: null, value: Buffer.alloc(500), timestamp: 1 }, 200) > 500, 'alone in its batch');
});

test('invalid input is an INVALID_RECORD error, and building an empty batch is refused', () => {
  const builder = new RecordBatchBuilder();
  assert.throws(() => builder.append({ value: null, timestamp: 1.5 }), (e: unknown) => e instanceof TributaryError && e.code === 'INVALID_RECORD');
  assert.throws(() => builder.build(), (e: unknown) => e instanceof TributaryError && e.code === 'INVALID_RECORD');
});
