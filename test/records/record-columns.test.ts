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

test('records with the same header bytes share one parsed list; different bytes, counts or a new read parse again', () => {
  const h = (k: string, v: string | null) => ({ key: k, value: v === null ? null : Buffer.from(v) });
  const records = [
    { key: null, value: Buffer.from('1'), timestamp: 1, headers: [h('s', 'aaaa')] },
    { key: null, value: Buffer.from('2'), timestamp: 2, headers: [h('s', 'aaaa')] },
    { key: null, value: Buffer.from('3'), timestamp: 3, headers: [h('s', 'aaab')] },
    { key: null, value: Buffer.from('4'), timestamp: 4, headers: [h('s', 'aaab'), h('t', null)] },
    { key: null, value: Buffer.from('5'), timestamp: 5, headers: [h('s', 'aaab')] },
    { key: null, value: Buffer.from('6'), timestamp: 6 },
    { key: null, value: Buffer.from('7'), timestamp: 7, headers: [h('s', 'aaab')] },
  ];
  const c = new RecordColumns();
  new RecordBatch(encodeRecordBatch({ records })).readColumns(c);
  const got = records.map((_, i) => c.headers(i));
  assert.deepEqual(
    got.map((hs) => hs.map((x) => [x.key, x.value?.toString() ?? null])),
    records.map((r) => (r.headers ?? []).map((x) => [x.key, x.value?.toString() ?? null])),
  );
  assert.equal(got[1], got[0], 'same bytes as the last parsed: the same list');
  assert.notEqual(got[2], got[1], 'a different value');
  assert.notEqual(got[3], got[2], 'a different count');
  assert.notEqual(got[4], got[3]);
  assert.equal(got[5], NO_HEADERS);
  assert.equal(got[6], got[4], 'a record without headers in between keeps the last parsed');
  assert.equal(c.headers(6), got[6], 'asked again: the same list');
  c.clear();
  new RecordBatch(encodeRecordBatch({ records: records.slice(6) })).readColumns(c);
  const again = c.headers(0);
  assert.notEqual(again, got[6], 'after clear() the list is parsed from the new bytes');
  assert.equal(again[0]!.value!.toString(), 'aaab');
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
