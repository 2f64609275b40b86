// q5's rows cross its second repartition as four doubles (q5RowSerde): every row with safe-integer
// fields comes back equal, and the bytes are the fields in order, big-endian; its copy (what a
// repartition in one process hands over) equals the round trip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { q5RowSerde, type Q5Row } from '../../../bench/nexmark/queries/q5.js';

const safe = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });

test('q5 rows round-trip through their serde, as 32 bytes of big-endian doubles', () => {
  fc.assert(
    fc.property(fc.record({ auction: safe, num: fc.nat(), starttime: safe, endtime: safe }), (row: Q5Row) => {
      const b = q5RowSerde.serialize(row);
      assert.equal(b.length, 32);
      assert.deepEqual([b.readDoubleBE(0), b.readDoubleBE(8), b.readDoubleBE(16), b.readDoubleBE(24)], [row.auction, row.num, row.starttime, row.endtime]);
      assert.deepEqual(q5RowSerde.deserialize(b), { ...row });
      // The copy handed over by a repartition in one process is what the bytes would give, a new object.
      const copy = q5RowSerde.copy!(row);
      assert.deepEqual(copy, q5RowSerde.deserialize(b));
      assert.notEqual(copy, row);
    }),
  );
});
