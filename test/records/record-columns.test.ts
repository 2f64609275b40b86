import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ATTRIBUTES,
  CRC,
  CorruptRecordError,
  NO_HEADERS,
  RecordBatch,
  RecordColumns,
  crc32c,
  encodeRecordBatch,
  type DecodedRecord,
} from '../../src/records/index.js';
import { batchInput } from './helpers/arbitraries.js';

/** The columns' records as objects (key, value and headers through the columns' accessors). */
function rows(c: RecordColumns): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  for (let i = 0; i < c.length; i++) {
    out.push({ offset: c.offsets[i]!, timestamp: c.timestamps[i]!, key: c.key(i), value: c.value(i), headers: [...c.headers(i)] });
  }
  return out;
}

/** What forEachRecord visits in [from, stopAt). */
function visited(b: RecordBatch, from: number, stopAt: number): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  b.forEachRecord((offset, timestamp, key, value, headers) => {
    if (offset >= stopAt) return false;
    if (offset >= from) out.push({ offset, timestamp, key, value, headers: [...headers] });
    return true;
  });
  return out;
}

test('readColumns gives the records forEachRecord visits, in [fromOffset, stopAt), for every codec (property)', () => {
  fc.assert(
    fc.property(batchInput(), fc.nat(40), fc.nat(40), (input, a, b) => {
      const batch = new RecordBatch(encodeRecordBatch(input));
      const base = batch.baseOffset;
      const from = base + Math.min(a, b) - 2;
      const stopAt = a === b ? Infinity : base + Math.max(a, b);
      const c = new RecordColumns(1); // grows as it reads
      batch.readColumns(c, from, stopAt);
      assert.deepEqual(rows(c), visited(batch, from, stopAt));
    }),
    { numRuns: 300 },
  );
});

test('records of several batches go into one set of columns, each read from its own bytes', () => {
  const c = new RecordColumns();
  const one = new RecordBatch(encodeRecordBatch({ baseOffset: 10, compression: 'gzip', records: [{ key: Buffer.from('a'), value: Buffer.from('1'), timestamp: 5 }] }));
  const two = new RecordBatch(
    encodeRecordBatch({ baseOffset: 11, records: [{ key: null, value: Buffer.from('2'), timestamp: 6, headers: [{ key: 'h', value: Buffer.from('x') }] }] }),
  );
  one.readColumns(c);
  two.readColumns(c);
  assert.equal(c.length, 2);
  assert.equal(c.chunks.length, 2);
  assert.deepEqual(rows(c), [
    { offset: 10, timestamp: 5, key: Buffer.from('a'), value: Buffer.from('1'), headers: [] },
    { offset: 11, timestamp: 6, key: null, value: Buffer.from('2'), headers: [{ key: 'h', value: Buffer.from('x') }] },
  ]);
});

test('keys and values are views of the batch bytes; a record without headers answers the shared empty list', () => {
  const bytes = encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1 }] });
  const c = new RecordColumns();
  new RecordBatch(bytes).readColumns(c);
  const v = c.value(0)!;
  assert.equal(v.toString(), 'v');
  v[0] = 0x77; // 'w'
  assert.equal(c.value(0)!.toString(), 'w', 'a view, not a copy');
  assert.equal(c.headers(0), NO_HEADERS);
});

test('damaged records: readColumns fails exactly when forEachRecord does, with the same error (property)', () => {
  fc.assert(
    fc.property(batchInput(fc.constant('none')), fc.nat(), fc.integer({ min: 0, max: 255 }), (input, at, byte) => {
      const bytes = encodeRecordBatch(input);
      const pos = 61 + (at % Math.max(1, bytes.length - 61));
      if (pos >= bytes.length) return;
      bytes[pos] = byte;
      bytes.writeUInt32BE(crc32c(bytes.subarray(ATTRIBUTES)), CRC);
      const batch = new RecordBatch(bytes);
      let expected: DecodedRecord[] | Error;
      try {
        expected = visited(batch, -1, Infinity);
      } catch (e) {
        expected = e as Error;
      }
      const c = new RecordColumns();
      let actual: DecodedRecord[] | Error;
      try {
        batch.readColumns(c);
        actual = rows(c);
      } catch (e) {
        actual = e as Error;
      }
      if (expected instanceof Error) {
        assert.ok(expected instanceof CorruptRecordError);
        assert.ok(actual instanceof CorruptRecordError, `readColumns accepted what forEachRecord refuses: ${expected.message}`);
        assert.equal(actual.message, expected.message);
      } else {
        assert.deepEqual(actual, expected);
      }
    }),
    { numRuns: 500 },
  );
});
