import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keyWithTime, splitKeyWithTime } from '../../src/state/bytes.js';
import { slotKey } from '../../src/engine/operators/window-aggregate.js';

test('slotKey(id, start) is keyWithTime(key bytes, start) for any key bytes (as latin1) and time', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.constantFrom(0, -1, 2 ** 53, -(2 ** 53), Infinity, -Infinity)), (bytes, t) => {
      const key = Buffer.from(bytes);
      const got = slotKey(key.toString('latin1'), t);
      assert.deepEqual(got, keyWithTime(key, t));
      assert.deepEqual(splitKeyWithTime(got).key, key);
    }),
    { numRuns: 2_000 },
  );
});
