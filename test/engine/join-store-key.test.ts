// The join's store keys are written straight from a key's latin1 id (stream-stream-join.ts,
// storeKeyOf): they must be the bytes keyWithTime(key bytes, ts, u32 seq) makes, the layout the
// stores and changelogs already hold, for any key bytes (short ids take a loop, long ones a
// native write), time and sequence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keyWithTime } from '../../src/state/bytes.js';
import { storeKeyOf } from '../../src/engine/operators/stream-stream-join.js';

test('storeKeyOf(id, ts, seq) equals keyWithTime(key bytes, ts, seq as u32 big-endian)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 80 }),
      fc.oneof(fc.integer({ min: -(2 ** 52) + 1, max: 2 ** 52 - 1 }), fc.constantFrom(0, -1, 1_700_000_000_000)),
      fc.nat({ max: 2 ** 32 - 1 }),
      (bytes, ts, seq) => {
        const key = Buffer.from(bytes);
        const seqBytes = Buffer.alloc(4);
        seqBytes.writeUInt32BE(seq, 0);
        assert.deepEqual(storeKeyOf(key.toString('latin1'), ts, seq), keyWithTime(key, ts, seqBytes));
      },
    ),
    { numRuns: 500 },
  );
});
