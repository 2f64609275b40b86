import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readInt64, writeInt64 } from '../../src/records/int64.js';

test('int64 round trip', () => {
  const b = Buffer.alloc(8);
  for (const v of [0, 1, -1, 2 ** 40 + 7, -(2 ** 50) - 3, Number.MAX_SAFE_INTEGER]) {
    writeInt64(b, 0, v);
    assert.equal(readInt64(b, 0), v);
    assert.equal(b.readBigInt64BE(0), BigInt(v));
  }
});
