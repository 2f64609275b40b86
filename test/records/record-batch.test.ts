import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ATTRIBUTES,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH,
  CRC,
  CorruptRecordError,
  LOG_OVERHEAD,
  MAGIC,
  RECORD_COUNT,
  RecordBatch,
  TributaryError,
  UnsupportedCompressionError,
  crc32c,
  decodeRecords,
  encodeRecordBatch,
  verifyBatch,
  writeVarint,
  type BatchInput,
  type DecodedRecord,
} from '../../src/records/index.js';
import { batchInput, type GeneratedBatch } from './helpers/arbitraries.js';

/** What decoding must give back for a generated input, computed from the input alone. */
function expectedRecords(input: GeneratedBatch): DecodedRecord[] {
  const base = input.baseOffset ?? 0;
  const logAppend = input.timestampType === 'log-append';
  const maxTs = input.maxTimestamp ?? Math.max(...input.records.map((r) => r.timestamp));
  return input.records.map((r) => ({
    offset: base + r.offsetDelta,
    timestamp: logAppend ? maxTs : r.timestamp,
    key: r.key,
    value: r.value,
    headers: r.headers,
  }));
}

/** Recomputes the CRC after a deliberate edit, so the decoder (not verify) is what meets the damage. */
function reseal(buf: Buffer): Buffer {
  buf.writeUInt32BE(crc32c(buf.subarray(ATTRIBUTES)), CRC);
  return buf;
}

function isCorrupt(e: unknown): boolean {
  return e instanceof CorruptRecordError && e.code === 'CORRUPT_MESSAGE' && e.message.length > 0;
}

test('decode(encode(x)) gives back every field, for every codec (property)', () => {
  fc.assert(
    fc.property(batchInput(), (input) => {
      const bytes = encodeRecordBatch(input);
      const b = new RecordBatch(bytes);
      b.verify();
      const n = input.records.length;
      const lastDelta = input.records[n - 1]!.offsetDelta;
      assert.equal(b.sizeInBytes, bytes.length);
      assert.equal(b.batchLength, bytes.length - LOG_OVERHEAD);
      assert.equal(b.magic, 2);
      assert.equal(b.baseOffset, input.baseOffset ?? 0);
      assert.equal(b.lastOffsetDelta, lastDelta);
      assert.equal(b.lastOffset, (input.baseOffset ?? 0) + lastDelta);
      assert.equal(b.recordCount, n);
      assert.equal(b.compression, input.compression);
      assert.equal(b.producerId, input.producerId ?? -1);
      assert.equal(b.producerEpoch, input.producerEpoch ?? -1);
      assert.equal(b.baseSequence, input.baseSequence ?? -1);
      assert.equal(b.isTransactional, input.transactional ?? false);
      assert.equal(b.isControl, input.control ?? false);
      assert.equal(b.partitionLeaderEpoch, input.partitionLeaderEpoch ?? -1);
      assert.equal(b.timestampType, input.timestampType ?? 'create');
      assert.equal(b.baseTimestamp, input.baseTimestamp ?? input.records[0]!.timestamp);
      assert.equal(b.maxTimestamp, input.maxTimestamp ?? Math.max(...input.records.map((r) => r.timestamp)));
      const expected = expectedRecords(input);
      assert.deepEqual(b.records(), expected);
      assert.deepEqual([...b], expected);
      // the visitor sees the same, in order
      let i = 0;
      const visited = b.forEachRecord((offset, timestamp, key, value, headers) => {
        const e = expected[i++]!;
        assert.equal(offset, e.offset);
        assert.equal(timestamp, e.timestamp);
        assert.deepEqual(key, e.key);
        assert.deepEqual(value, e.value);
        assert.deepEqual([...headers], e.headers);
      });
      assert.equal(visited, n);
      assert.equal(i, n);
    }),
    { numRuns: 400 },
  );
});

test('encode(decode(bytes)) === bytes for uncompressed batches (property)', () => {
  fc.assert(
    fc.property(batchInput(fc.constant('none')), (input) => {
      const bytes = encodeRecordBatch(input);
      const again = encodeRecordBatch(new RecordBatch(bytes).toInput());
      assert.deepEqual(again, bytes);
    }),
    { numRuns: 400 },
  );
});

test('compressed batches: re-encoding the decoded records reproduces the decompressed records bytes (property)', () => {
  fc.assert(
    fc.property(batchInput(fc.constantFrom('gzip', 'snappy', 'lz4', 'zstd')), (input) => {
      const b = new RecordBatch(encodeRecordBatch(input));
      const decoded = b.toInput();
      const plain = new RecordBatch(encodeRecordBatch({ ...decoded, compression: 'none' }));
      assert.deepEqual(plain.recordsData(), b.recordsData());
      // the same header apart from codec, length and CRC
      assert.deepEqual(plain.buffer.subarray(0, BATCH_LENGTH), b.buffer.subarray(0, BATCH_LENGTH));
      assert.deepEqual(plain.buffer.subarray(ATTRIBUTES + 2, BATCH_HEADER_SIZE), b.buffer.subarray(ATTRIBUTES + 2, BATCH_HEADER_SIZE));
      assert.equal(plain.attributes & ~7, b.attributes & ~7);
      // and recompressing gives a batch that decodes to the same records
      const re = new RecordBatch(encodeRecordBatch(decoded));
      re.verify();
      assert.deepEqual(re.records(), b.records());
    }),
    { numRuns: 150 },
  );
});

test('defaults: offsets from 0, timestamps = now, base = first record, max = largest, producer fields -1', () => {
  const before = Date.now();
  const bytes = encodeRecordBatch({ records: [{ value: Buffer.from('a') }, { key: Buffer.from('k'), value: null }] });
  const after = Date.now();
  const b = new RecordBatch(bytes);
  b.verify();
  assert.equal(b.baseOffset, 0);
  assert.equal(b.lastOffset, 1);
  assert.equal(b.compression, 'none');
  assert.equal(b.producerId, -1);
  assert.equal(b.producerEpoch, -1);
  assert.equal(b.baseSequence, -1);
  assert.equal(b.partitionLeaderEpoch, -1);
  assert.equal(b.isTransactional, false);
  assert.equal(b.isControl, false);
  assert.equal(b.timestampType, 'create');
  const rs = b.records();
  assert.equal(rs.length, 2);
  assert.ok(rs[0]!.timestamp >= before && rs[0]!.timestamp <= after);
  assert.equal(rs[1]!.timestamp, rs[0]!.timestamp, 'one clock reading per batch');
  assert.equal(b.baseTimestamp, rs[0]!.timestamp);
  assert.equal(b.maxTimestamp, rs[0]!.timestamp);
  assert.deepEqual(rs.map((r) => [r.offset, r.key, r.value, r.headers]), [
    [0, null, Buffer.from('a'), []],
    [1, Buffer.from('k'), null, []],
  ]);

  // base is the first record's timestamp, not the smallest; deltas may be negative
  const t = encodeRecordBatch({ records: [{ value: null, timestamp: 5000 }, { value: null, timestamp: 1000 }, { value: null, timestamp: 9000 }] });
  const tb = new RecordBatch(t);
  assert.equal(tb.baseTimestamp, 5000);
  assert.equal(tb.maxTimestamp, 9000);
  assert.deepEqual(tb.records().map((r) => r.timestamp), [5000, 1000, 9000]);
});

test('exact layout of a small batch, written out by hand from the spec', () => {
  const bytes = encodeRecordBatch({
    baseOffset: 7,
    records: [{ key: Buffer.from('k'), value: Buffer.from('vv'), timestamp: 1000, headers: [{ key: 'h', value: Buffer.from('x') }] }],
    producerId: 5,
    producerEpoch: 1,
    baseSequence: 3,
    partitionLeaderEpoch: 2,
  });
  const record = Buffer.from([
    0x1a, // length 13 (zigzag 26)
    0x00, // attributes
    0x00, // timestampDelta 0
    0x00, // offsetDelta 0
    0x02, 0x6b, // key "k"
    0x04, 0x76, 0x76, // value "vv"
    0x02, // 1 header
    0x02, 0x68, // "h"
    0x02, 0x78, // "x"
  ]);
  const header = Buffer.alloc(BATCH_HEADER_SIZE);
  header.writeBigInt64BE(7n, 0);
  header.writeInt32BE(BATCH_HEADER_SIZE - LOG_OVERHEAD + record.length, 8);
  header.writeInt32BE(2, 12);
  header.writeInt8(2, 16);
  header.writeInt16BE(0, 21);
  header.writeInt32BE(0, 23);
  header.writeBigInt64BE(1000n, 27);
  header.writeBigInt64BE(1000n, 35);
  header.writeBigInt64BE(5n, 43);
  header.writeInt16BE(1, 51);
  header.writeInt32BE(3, 53);
  header.writeInt32BE(1, 57);
  const expected = Buffer.concat([header, record]);
  reseal(expected);
  assert.deepEqual(bytes, expected);
});

test('empty batches need an explicit lastOffsetDelta and keep it', () => {
  assert.throws(() => encodeRecordBatch({ records: [] }), (e: unknown) => e instanceof TributaryError && e.code === 'INVALID_RECORD');
  const bytes = encodeRecordBatch({ records: [], baseOffset: 100, lastOffsetDelta: 9, producerId: 4, producerEpoch: 2, baseSequence: 10 });
  const b = new RecordBatch(bytes);
  b.verify();
  assert.equal(bytes.length, BATCH_HEADER_SIZE);
  assert.equal(b.recordCount, 0);
  assert.equal(b.lastOffset, 109);
  assert.equal(b.lastSequence, 19);
  assert.equal(b.baseTimestamp, -1);
  assert.equal(b.maxTimestamp, -1);
  assert.deepEqual(b.records(), []);
  assert.deepEqual(encodeRecordBatch(b.toInput()), bytes);
});

test('invalid input is INVALID_RECORD, not a silently wrong batch', () => {
  const bad: BatchInput[] = [
    { records: [{ value: null, offsetDelta: 1 }, { value: null, offsetDelta: 1 }] },
    { records: [{ value: null, offsetDelta: -1 }] },
    { records: [{ value: null, timestamp: 1.5 }] },
    { records: [{ value: null }], producerEpoch: 40000 },
    { records: [{ value: null }], baseSequence: -2 },
    { records: [{ value: null }], baseOffset: 2 ** 60 },
    { records: [{ value: null }], maxTimestamp: 1.5 },
    { records: [{ value: null }], baseTimestamp: Number.NaN },
    { records: [{ value: null, offsetDelta: 5 }], lastOffsetDelta: 4 },
    { records: [{ value: null, headers: [{ key: 7 as unknown as string, value: null }] }] },
  ];
  for (const input of bad) {
    assert.throws(() => encodeRecordBatch(input), (e: unknown) => e instanceof TributaryError && e.code === 'INVALID_RECORD', JSON.stringify(input));
  }
});

test('lastSequence wraps at int32 max as in Java', () => {
  const b = new RecordBatch(encodeRecordBatch({ records: [{ value: null }, { value: null }, { value: null }], producerId: 1, producerEpoch: 0, baseSequence: 0x7fffffff - 1 }));
  assert.equal(b.lastSequence, 0);
  assert.equal(new RecordBatch(encodeRecordBatch({ records: [{ value: null }] })).lastSequence, -1);
});

test('setBaseOffset moves offsets and keeps the CRC valid', () => {
  const b = new RecordBatch(encodeRecordBatch({ records: [{ value: Buffer.from('x') }, { value: Buffer.from('y') }] }));
  b.setBaseOffset(2 ** 40);
  b.verify();
  assert.deepEqual(b.records().map((r) => r.offset), [2 ** 40, 2 ** 40 + 1]);
  assert.equal(b.nextOffset, 2 ** 40 + 2);
});

test('forEachRecord stops when the visitor returns false', () => {
  const b = new RecordBatch(encodeRecordBatch({ records: Array.from({ length: 10 }, (_, i) => ({ value: Buffer.from([i]) })) }));
  const seen: number[] = [];
  const n = b.forEachRecord((offset) => {
    seen.push(offset);
    return offset < 3;
  });
  assert.deepEqual(seen, [0, 1, 2, 3]);
  assert.equal(n, 4);
});

test('key and value are views into the batch bytes, not copies', () => {
  const bytes = encodeRecordBatch({ records: [{ key: Buffer.from('key'), value: Buffer.from('value') }] });
  const b = new RecordBatch(bytes);
  b.forEachRecord((_o, _t, key, value) => {
    assert.equal(key!.buffer, bytes.buffer);
    assert.equal(value!.buffer, bytes.buffer);
  });
});

test('a compressed batch is decompressed once, however often it is iterated', () => {
  const b = new RecordBatch(encodeRecordBatch({ records: [{ value: Buffer.from('v'.repeat(100)) }], compression: 'zstd' }));
  const first = b.recordsData();
  b.records();
  b.forEachRecord(() => undefined);
  assert.equal(b.recordsData(), first);
});

test('a flipped bit anywhere from the CRC field on fails verify with CorruptRecordError', () => {
  for (const compression of ['none', 'gzip'] as const) {
    const bytes = encodeRecordBatch({
      records: [
        { key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [{ key: 'h', value: Buffer.from('1') }], timestamp: 10 },
        { key: null, value: Buffer.from('v2'), timestamp: 20 },
      ],
      compression,
      producerId: 9,
      producerEpoch: 1,
      baseSequence: 0,
    });
    verifyBatch(bytes);
    for (let i = CRC; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const copy = Buffer.from(bytes);
        copy[i]! ^= 1 << bit;
        assert.throws(() => verifyBatch(copy), isCorrupt, `${compression}: byte ${i} bit ${bit}`);
      }
    }
    // the magic byte and the length are checked too
    for (const i of [MAGIC, BATCH_LENGTH + 3]) {
      const copy = Buffer.from(bytes);
      copy[i]! ^= 1;
      assert.throws(() => verifyBatch(copy), isCorrupt);
    }
  }
});

test('truncated batches are CorruptRecordError everywhere, never RangeError', () => {
  const bytes = encodeRecordBatch({
    records: [{ key: Buffer.from('k'), value: Buffer.from('value'), headers: [{ key: 'h', value: null }] }, { value: null }],
  });
  for (let len = 0; len < bytes.length; len++) {
    const cut = bytes.subarray(0, len);
    assert.throws(() => verifyBatch(cut), isCorrupt, `verify ${len}`);
    assert.throws(() => new RecordBatch(cut), isCorrupt, `view ${len}`);
    assert.throws(() => RecordBatch.at(cut, 0), isCorrupt, `at ${len}`);
    assert.throws(() => decodeRecords(cut), isCorrupt, `decodeRecords ${len}`);
  }
});

test('records cut short inside a batch whose header and CRC agree are CorruptRecordError (property)', () => {
  fc.assert(
    fc.property(batchInput(), fc.nat(), (input, cutSeed) => {
      const b = new RecordBatch(encodeRecordBatch(input));
      const data = b.recordsData();
      const cutAt = cutSeed % data.length; // strictly shorter than the records section
      const forged = Buffer.concat([b.buffer.subarray(0, BATCH_HEADER_SIZE), data.subarray(0, cutAt)]);
      forged.writeInt16BE(b.attributes & ~7, ATTRIBUTES); // stored uncompressed
      forged.writeInt32BE(forged.length - LOG_OVERHEAD, BATCH_LENGTH);
      reseal(forged);
      const f = new RecordBatch(forged);
      f.verify();
      assert.throws(() => f.records(), isCorrupt);
    }),
    { numRuns: 300 },
  );
});

test('random damage to the records section: decoding either succeeds or throws CorruptRecordError (property)', () => {
  fc.assert(
    fc.property(
      batchInput(),
      fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }),
      (input, edits) => {
        const bytes = encodeRecordBatch(input);
        const span = bytes.length - BATCH_HEADER_SIZE;
        for (const { at, value } of edits) bytes[BATCH_HEADER_SIZE + (at % span)] = value;
        reseal(bytes);
        try {
          new RecordBatch(bytes).records();
        } catch (e) {
          assert.ok(isCorrupt(e), `unexpected ${String(e)}`);
        }
      },
    ),
    { numRuns: 500 },
  );
});

test('record count that disagrees with the records is CorruptRecordError', () => {
  const bytes = encodeRecordBatch({ records: [{ value: Buffer.from('a') }, { value: Buffer.from('b') }, { value: Buffer.from('c') }] });
  const more = reseal(Buffer.from(bytes));
  more.writeInt32BE(4, RECORD_COUNT);
  reseal(more);
  assert.throws(() => new RecordBatch(more).records(), (e: unknown) => isCorrupt(e) && /declares 4 records/.test((e as Error).message));
  const fewer = Buffer.from(bytes);
  fewer.writeInt32BE(2, RECORD_COUNT);
  reseal(fewer);
  assert.throws(() => new RecordBatch(fewer).records(), (e: unknown) => isCorrupt(e) && /left after its 2 records/.test((e as Error).message));
  const negative = Buffer.from(bytes);
  negative.writeInt32BE(-1, RECORD_COUNT);
  reseal(negative);
  assert.throws(() => new RecordBatch(negative).records(), isCorrupt);
  const huge = Buffer.from(bytes);
  huge.writeInt32BE(0x7fffffff, RECORD_COUNT);
  reseal(huge);
  assert.throws(() => new RecordBatch(huge).records(), isCorrupt);
});

/** A one-record batch whose record body is given byte by byte, so each field can be made wrong. */
function batchWithRecordBody(body: number[], declaredLength = body.length): RecordBatch {
  const len = Buffer.alloc(5);
  const lenSize = writeVarint(len, 0, declaredLength);
  const records = Buffer.concat([len.subarray(0, lenSize), Buffer.from(body)]);
  const header = Buffer.from(encodeRecordBatch({ records: [], lastOffsetDelta: 0 }));
  header.writeInt32BE(1, RECORD_COUNT);
  const buf = Buffer.concat([header, records]);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH);
  return new RecordBatch(reseal(buf));
}

test('each record field is validated', () => {
  // a well-formed body first, so the failures below are down to the one field changed
  const good = [0, 0, 0, 0x02, 0x6b, 0x02, 0x76, 0x02, 0x02, 0x68, 0x01];
  assert.deepEqual(batchWithRecordBody(good).records()[0]!.headers, [{ key: 'h', value: null }]);
  const cases: [string, number[], RegExp, number?][] = [
    ['key length -2', [0, 0, 0, 0x03, 0x02, 0x76, 0x00], /invalid key length -2/],
    ['value length -3', [0, 0, 0, 0x01, 0x05, 0x00], /invalid value length -3/],
    ['key past the record', [0, 0, 0, 0x20, 0x6b, 0x01, 0x00], /key of 16 bytes runs past/],
    ['value past the record', [0, 0, 0, 0x01, 0x20, 0x6b, 0x00], /value of 16 bytes runs past/],
    ['negative header count', [0, 0, 0, 0x01, 0x01, 0x01], /invalid header count -1/],
    ['header count too large', [0, 0, 0, 0x01, 0x01, 0x08, 0x00, 0x01], /invalid header count 4/],
    ['negative header key length', [0, 0, 0, 0x01, 0x01, 0x02, 0x01, 0x01], /invalid key length -1/],
    ['header value length -2', [0, 0, 0, 0x01, 0x01, 0x02, 0x02, 0x68, 0x03], /invalid value length -2/],
    ['bytes left over in the record', [0, 0, 0, 0x01, 0x01, 0x00, 0x00], /declares 7 bytes but its fields take 6/],
    ['record shorter than the minimum', [0, 0, 0, 0x01, 0x01, 0x00, 0x00], /invalid length 5/, 5],
    ['varint running past the record', [0, 0, 0, 0x01, 0x01, 0x80], /runs past/],
  ];
  for (const [what, body, message, declared] of cases) {
    assert.throws(() => batchWithRecordBody(body, declared).records(), (e: unknown) => isCorrupt(e) && message.test((e as Error).message), what);
  }
});

test('unknown codec ids 5..7 are UnsupportedCompressionError when read', () => {
  const bytes = encodeRecordBatch({ records: [{ value: Buffer.from('x') }] });
  for (const id of [5, 6, 7]) {
    const copy = Buffer.from(bytes);
    copy.writeInt16BE(id, ATTRIBUTES);
    reseal(copy);
    const b = new RecordBatch(copy);
    b.verify();
    assert.throws(() => b.compression, UnsupportedCompressionError);
    assert.throws(() => b.records(), UnsupportedCompressionError);
  }
});

test('a corrupt compressed payload is CorruptRecordError when iterated', () => {
  for (const compression of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    const bytes = encodeRecordBatch({ records: [{ value: Buffer.from('some value '.repeat(20)) }], compression });
    const copy = Buffer.from(bytes.subarray(0, bytes.length - 5));
    copy.writeInt32BE(copy.length - LOG_OVERHEAD, BATCH_LENGTH);
    reseal(copy);
    assert.throws(() => new RecordBatch(copy).records(), isCorrupt, compression);
  }
});
