import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorruptRecordError, MAGIC, encodeRecordBatch, iterateBatches, scanBatches, type RecordBatch } from '../../src/records/index.js';

const a = encodeRecordBatch({ records: [{ value: Buffer.from('a') }], baseOffset: 0 });
const b = encodeRecordBatch({ records: [{ value: Buffer.from('bb') }, { value: null }], baseOffset: 1 });
const c = encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('ccc') }], baseOffset: 3, compression: 'gzip' });
const log = Buffer.concat([a, b, c]);

test('whole batches are listed with their positions and sizes', () => {
  const scan = scanBatches(log);
  assert.deepEqual(scan, {
    batches: [
      { position: 0, size: a.length },
      { position: a.length, size: b.length },
      { position: a.length + b.length, size: c.length },
    ],
    end: log.length,
    stop: 'end',
    trailingBytes: 0,
    trailingSize: -1,
  });
  assert.deepEqual(scanBatches(Buffer.alloc(0)), { batches: [], end: 0, stop: 'end', trailingBytes: 0, trailingSize: -1 });
  // a sub-range, in the buffer's coordinates
  const mid = scanBatches(log, a.length, a.length + b.length);
  assert.deepEqual(mid.batches, [{ position: a.length, size: b.length }]);
  assert.equal(mid.stop, 'end');
  const offsets = [...iterateBatches(log)].map((x: RecordBatch) => [x.baseOffset, x.lastOffset, x.compression]);
  assert.deepEqual(offsets, [[0, 0, 'none'], [1, 2, 'none'], [3, 3, 'gzip']]);
});

test('a partial trailing batch is reported, not thrown', () => {
  for (const cut of [1, 11, 12, 17, 60, 61, c.length - 1]) {
    const buf = log.subarray(0, a.length + b.length + cut);
    const scan = scanBatches(buf);
    assert.equal(scan.stop, 'partial', `cut ${cut}`);
    assert.equal(scan.batches.length, 2);
    assert.equal(scan.end, a.length + b.length);
    assert.equal(scan.trailingBytes, cut);
    assert.equal(scan.trailingSize, cut >= 12 ? c.length : -1);
    assert.equal(scan.reason, undefined);
    assert.equal([...iterateBatches(buf)].length, 2);
  }
});

test('bytes that cannot be a batch stop the scan as corrupt, after the good batches', () => {
  const tooSmall = Buffer.concat([a, Buffer.alloc(70)]); // batchLength 0: a zero-filled, preallocated tail
  const s1 = scanBatches(tooSmall);
  assert.equal(s1.stop, 'corrupt');
  assert.equal(s1.end, a.length);
  assert.equal(s1.batches.length, 1);
  assert.equal(s1.trailingSize, 12);
  assert.match(s1.reason ?? '', /declares 12 bytes, below the 61-byte header/);

  const oldMagic = Buffer.from(log);
  oldMagic[a.length + MAGIC] = 1;
  const s2 = scanBatches(oldMagic);
  assert.equal(s2.stop, 'corrupt');
  assert.equal(s2.end, a.length);
  assert.match(s2.reason ?? '', /magic 1/);

  const seen: number[] = [];
  assert.throws(() => {
    for (const x of iterateBatches(oldMagic)) seen.push(x.baseOffset);
  }, CorruptRecordError);
  assert.deepEqual(seen, [0]);
});

test('a range outside the buffer is a programming error (RangeError)', () => {
  assert.throws(() => scanBatches(log, 0, log.length + 1), RangeError);
  assert.throws(() => scanBatches(log, 5, 4), RangeError);
});
