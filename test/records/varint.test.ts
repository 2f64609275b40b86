import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CorruptRecordError } from '../../src/records/errors.js';
import {
  readUnsignedVarint,
  readVarint,
  readVarlong,
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
} from '../../src/records/varint.js';

/** Reference zigzag varlong encoder on BigInt, written independently of the code under test. */
function refVarlong(v: bigint): Buffer {
  let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return Buffer.from(out);
}

function encode(write: (b: Buffer, at: number, v: number) => number, v: number): Buffer {
  const b = Buffer.alloc(16, 0xee);
  const end = write(b, 0, v);
  return b.subarray(0, end);
}

function decode<T>(read: (b: Buffer, c: { pos: number; end: number }) => T, bytes: Buffer): { value: T; pos: number } {
  const c = { pos: 0, end: bytes.length };
  const value = read(bytes, c);
  return { value, pos: c.pos };
}

// Kafka's ByteUtilsTest.testVarintSerde pairs.
const VARINT_VECTORS: [number, number[]][] = [
  [0, [0x00]],
  [-1, [0x01]],
  [1, [0x02]],
  [63, [0x7e]],
  [-64, [0x7f]],
  [64, [0x80, 0x01]],
  [-65, [0x81, 0x01]],
  [8191, [0xfe, 0x7f]],
  [-8192, [0xff, 0x7f]],
  [8192, [0x80, 0x80, 0x01]],
  [-8193, [0x81, 0x80, 0x01]],
  [1048575, [0xfe, 0xff, 0x7f]],
  [-1048576, [0xff, 0xff, 0x7f]],
  [1048576, [0x80, 0x80, 0x80, 0x01]],
  [-1048577, [0x81, 0x80, 0x80, 0x01]],
  [134217727, [0xfe, 0xff, 0xff, 0x7f]],
  [-134217728, [0xff, 0xff, 0xff, 0x7f]],
  [134217728, [0x80, 0x80, 0x80, 0x80, 0x01]],
  [-134217729, [0x81, 0x80, 0x80, 0x80, 0x01]],
  [2147483647, [0xfe, 0xff, 0xff, 0xff, 0x0f]],
  [-2147483648, [0xff, 0xff, 0xff, 0xff, 0x0f]],
];

test('varint: Kafka ByteUtilsTest vectors encode, decode and size exactly', () => {
  for (const [v, bytes] of VARINT_VECTORS) {
    const expected = Buffer.from(bytes);
    assert.deepEqual(encode(writeVarint, v), expected, `write ${v}`);
    assert.deepEqual(decode(readVarint, expected), { value: v, pos: bytes.length }, `read ${v}`);
    assert.equal(sizeOfVarint(v), bytes.length, `size ${v}`);
    // the same values as varlongs have the same encoding
    assert.deepEqual(encode(writeVarlong, v), expected, `writeVarlong ${v}`);
    assert.deepEqual(decode(readVarlong, expected), { value: v, pos: bytes.length });
    assert.equal(sizeOfVarlong(v), bytes.length);
  }
});

test('unsigned varint: round trip over uint32 and sizes', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
      const bytes = encode(writeUnsignedVarint, v);
      assert.equal(bytes.length, sizeOfUnsignedVarint(v));
      assert.deepEqual(decode(readUnsignedVarint, bytes), { value: v, pos: bytes.length });
    }),
    { numRuns: 2000 },
  );
  assert.deepEqual(encode(writeUnsignedVarint, 300), Buffer.from([0xac, 0x02]));
  assert.deepEqual(encode(writeUnsignedVarint, 0xffffffff), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
});

test('varint: random int32 round trip', () => {
  fc.assert(
    fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (v) => {
      const bytes = encode(writeVarint, v);
      assert.equal(bytes.length, sizeOfVarint(v));
      assert.deepEqual(bytes, refVarlong(BigInt(v)));
      assert.deepEqual(decode(readVarint, bytes), { value: v, pos: bytes.length });
    }),
    { numRuns: 2000 },
  );
});

test('varlong: writes match a BigInt reference for |v| <= 2^52, reads every safe integer', () => {
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 }), (v) => {
      const bytes = encode(writeVarlong, v);
      assert.deepEqual(bytes, refVarlong(BigInt(v)));
      assert.equal(sizeOfVarlong(v), bytes.length);
      assert.deepEqual(decode(readVarlong, bytes), { value: v, pos: bytes.length });
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (v) => {
      const bytes = refVarlong(BigInt(v));
      assert.deepEqual(decode(readVarlong, bytes), { value: v, pos: bytes.length });
    }),
    { numRuns: 3000 },
  );
  for (const v of [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 32, -(2 ** 32), 2 ** 31, -(2 ** 31) - 1]) {
    const bytes = refVarlong(BigInt(v));
    assert.deepEqual(decode(readVarlong, bytes), { value: v, pos: bytes.length }, String(v));
  }
});

test('varlong: the 10-byte form decodes when in range and is CorruptRecordError when not', () => {
  // Long.MAX_VALUE and Long.MIN_VALUE (ByteUtilsTest vectors) are beyond 2^53: refused, not rounded.
  const max = Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  const min = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.deepEqual(refVarlong(2n ** 63n - 1n), max);
  assert.deepEqual(refVarlong(-(2n ** 63n)), min);
  assert.throws(() => decode(readVarlong, max), CorruptRecordError);
  assert.throws(() => decode(readVarlong, min), CorruptRecordError);
  // Non-canonical (padded) 10-byte encodings of small values are valid.
  const zero10 = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
  assert.deepEqual(decode(readVarlong, zero10), { value: 0, pos: 10 });
  const minusOne10 = Buffer.from([0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
  assert.deepEqual(decode(readVarlong, minusOne10), { value: -1, pos: 10 });
  // An 11th byte, or a 10th byte with more than bit 63, is corrupt.
  const eleven = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
  assert.throws(() => decode(readVarlong, eleven), CorruptRecordError);
  const fat10 = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]);
  assert.throws(() => decode(readVarlong, fat10), CorruptRecordError);
});

test('varint: more than 5 bytes or more than 32 bits is CorruptRecordError', () => {
  assert.throws(() => decode(readVarint, Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])), CorruptRecordError);
  assert.throws(() => decode(readVarint, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x1f])), CorruptRecordError);
  assert.throws(() => decode(readUnsignedVarint, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x10])), CorruptRecordError);
});

test('readers never read past cursor.end: truncation is CorruptRecordError, never RangeError', () => {
  const full = Buffer.concat([refVarlong(-(2n ** 50n)), Buffer.from([0xff])]);
  for (let cut = 0; cut < full.length - 1; cut++) {
    for (const read of [readVarint, readVarlong, readUnsignedVarint]) {
      const c = { pos: 0, end: cut };
      assert.throws(
        () => read(full, c),
        (e: unknown) => e instanceof CorruptRecordError && /runs past|longer|exceeds/.test(e.message),
        `${read.name} cut at ${cut}`,
      );
    }
  }
  // end inside a larger buffer is honoured even though more bytes follow
  const b = Buffer.from([0x80, 0x01]);
  assert.throws(() => readVarint(b, { pos: 0, end: 1 }), CorruptRecordError);
  assert.equal(readVarint(b, { pos: 0, end: 2 }), 64);
});

test('writeVarlong refuses values whose zigzag form is not exact', () => {
  assert.throws(() => encode(writeVarlong, 2 ** 53), /outside/);
  assert.throws(() => encode(writeVarlong, 1.5e9 + 0.5), /outside/);
});
