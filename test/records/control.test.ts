import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ATTRIBUTES,
  BATCH_HEADER_SIZE,
  CONTROL_BIT,
  CorruptRecordError,
  RecordBatch,
  TRANSACTIONAL_BIT,
  crc32c,
  encodeControlBatch,
  encodeRecordBatch,
  isTransactionMarker,
  readControlRecord,
} from '../../src/records/index.js';

test('a commit marker is laid out byte for byte as Kafka writes it', () => {
  const bytes = encodeControlBatch({
    type: 'commit',
    producerId: 378879000,
    producerEpoch: 3,
    coordinatorEpoch: 17,
    timestamp: 1795612890195,
    baseOffset: 42,
    partitionLeaderEpoch: 0,
  });
  const record = Buffer.from([
    0x20, // length 16
    0x00, // attributes
    0x00, // timestampDelta
    0x00, // offsetDelta
    0x08, 0x00, 0x00, 0x00, 0x01, // key: 4 bytes, version 0, type 1 (COMMIT)
    0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, // value: 6 bytes, version 0, coordinatorEpoch 17
    0x00, // no headers
  ]);
  const h = Buffer.alloc(BATCH_HEADER_SIZE);
  h.writeBigInt64BE(42n, 0);
  h.writeInt32BE(BATCH_HEADER_SIZE - 12 + record.length, 8);
  h.writeInt32BE(0, 12);
  h.writeInt8(2, 16);
  h.writeInt16BE(0x30, 21); // control | transactional, no compression
  h.writeInt32BE(0, 23);
  h.writeBigInt64BE(1795612890195n, 27);
  h.writeBigInt64BE(1795612890195n, 35);
  h.writeBigInt64BE(378879000n, 43);
  h.writeInt16BE(3, 51);
  h.writeInt32BE(-1, 53);
  h.writeInt32BE(1, 57);
  const expected = Buffer.concat([h, record]);
  expected.writeUInt32BE(crc32c(expected.subarray(ATTRIBUTES)), 17);
  assert.deepEqual(bytes, expected);
});

test('markers read back: commit and abort', () => {
  for (const type of ['commit', 'abort'] as const) {
    const b = new RecordBatch(
      encodeControlBatch({ type, producerId: 7, producerEpoch: 2, coordinatorEpoch: 5, timestamp: 1000, baseOffset: 99 }),
    );
    b.verify();
    assert.equal(b.isControl, true);
    assert.equal(b.isTransactional, true);
    assert.equal(b.attributes & (CONTROL_BIT | TRANSACTIONAL_BIT), CONTROL_BIT | TRANSACTIONAL_BIT);
    assert.equal(b.partitionLeaderEpoch, -1);
    assert.equal(b.baseSequence, -1);
    const m = readControlRecord(b);
    assert.ok(isTransactionMarker(m));
    assert.deepEqual(
      { ...m },
      { type, typeId: type === 'commit' ? 1 : 0, keyVersion: 0, valueVersion: 0, coordinatorEpoch: 5, offset: 99, timestamp: 1000, producerId: 7, producerEpoch: 2 },
    );
  }
});

function controlBatch(key: Buffer | null, value: Buffer | null, extra = 0): RecordBatch {
  const records = [{ key, value, timestamp: 1 }];
  for (let i = 0; i < extra; i++) records.push({ key, value, timestamp: 1 });
  return new RecordBatch(encodeRecordBatch({ records, control: true, transactional: true, producerId: 1, producerEpoch: 0 }));
}

test('newer versions and other control types are read, not rejected', () => {
  // a v1 marker value with a trailing field: Java ignores the extra bytes, so do we
  const m = readControlRecord(controlBatch(Buffer.from([0, 0, 0, 0]), Buffer.from([0, 1, 0, 0, 0, 9, 0xaa, 0xbb])));
  assert.equal(m.type, 'abort');
  assert.ok(isTransactionMarker(m) && m.valueVersion === 1 && m.coordinatorEpoch === 9);
  // LEADER_CHANGE (type 2) from a KRaft log
  const other = readControlRecord(controlBatch(Buffer.from([0, 0, 0, 2]), Buffer.from('payload')));
  assert.equal(other.type, 'other');
  assert.ok(!isTransactionMarker(other) && other.typeId === 2 && other.value?.toString() === 'payload');
});

test('malformed control batches are CorruptRecordError', () => {
  const cases: [string, RecordBatch][] = [
    ['not a control batch', new RecordBatch(encodeRecordBatch({ records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.alloc(6) }] }))],
    ['two records', controlBatch(Buffer.from([0, 0, 0, 1]), Buffer.alloc(6), 1)],
    ['null key', controlBatch(null, Buffer.alloc(6))],
    ['short key', controlBatch(Buffer.from([0, 0, 1]), Buffer.alloc(6))],
    ['negative key version', controlBatch(Buffer.from([0xff, 0xff, 0, 1]), Buffer.alloc(6))],
    ['short value', controlBatch(Buffer.from([0, 0, 0, 1]), Buffer.alloc(5))],
    ['null value', controlBatch(Buffer.from([0, 0, 0, 0]), null)],
    ['negative value version', controlBatch(Buffer.from([0, 0, 0, 1]), Buffer.from([0x80, 0, 0, 0, 0, 0]))],
  ];
  for (const [what, b] of cases) assert.throws(() => readControlRecord(b), CorruptRecordError, what);
});
