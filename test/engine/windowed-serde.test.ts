// Windowed keys are `[key][start int64 BE][end int64 BE]` (serdes.ts `windowed`), written and read
// without a BigInt per key: the bytes and values must be exactly those of the BigInt encoding.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { string, windowed } from '../../src/index.js';

const serde = windowed(string());

/** The encoding as it was written with BigInt. */
function reference(key: string, start: number, end: number): Buffer {
  const k = Buffer.from(key);
  const out = Buffer.alloc(k.length + 16);
  k.copy(out);
  out.writeBigInt64BE(BigInt(start), k.length);
  out.writeBigInt64BE(BigInt(end), k.length + 8);
  return out;
}

const edge = fc.constantFrom(0, -1, 1, 2 ** 32 - 1, 2 ** 32, -(2 ** 32), -(2 ** 32) - 1, 2 ** 31, -(2 ** 31), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53, -(2 ** 53));
const int = fc.oneof(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), fc.integer(), edge);

test('windowed keys: the BigInt encoding byte for byte, and its values back, for any safe integer bounds', () => {
  fc.assert(
    fc.property(fc.string(), int, int, (key, start, end) => {
      const b = serde.serialize({ key, start, end });
      assert.deepEqual(b, reference(key, start, end));
      assert.deepEqual(serde.deserialize(b), { key, start, end });
    }),
    { numRuns: 2000 },
  );
});

test('windowed keys: any 16 bytes of bounds read as Number(readBigInt64BE)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      const b = Buffer.concat([Buffer.from('k'), bytes]);
      const w = serde.deserialize(b);
      assert.equal(w.start, Number(b.readBigInt64BE(1)));
      assert.equal(w.end, Number(b.readBigInt64BE(9)));
    }),
    { numRuns: 2000 },
  );
});

test('windowed keys: a fractional bound throws as BigInt does', () => {
  assert.throws(() => serde.serialize({ key: 'k', start: 1.5, end: 2 }), RangeError);
});

test('windowed(string()) keys: ASCII keys written char by char and every other key (non-ASCII after an ASCII head, long) give the same bytes', () => {
  const anyString = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.tuple(fc.string({ maxLength: 50 }), fc.constantFrom('é', '\u0080', '\u{1f600}', '\ud800')).map(([a, b]) => a + b),
    fc.string({ minLength: 40, maxLength: 80 }),
  );
  fc.assert(
    fc.property(anyString, int, int, (key, start, end) => {
      assert.deepEqual(serde.serialize({ key, start, end }), reference(key, start, end));
    }),
    { numRuns: 2000 },
  );
});
