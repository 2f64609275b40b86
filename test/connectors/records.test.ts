import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cutBySize, recordSizeBound } from '../../src/connectors/records.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import type { RecordInput } from '../../src/records/record.js';

/** RecordBatch v2's header: everything before the first record. */
const BATCH_HEADER = 61;

const arbRecord: fc.Arbitrary<RecordInput> = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 3_000 }), { nil: null }),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 20 }), value: fc.option(fc.uint8Array({ maxLength: 50 }).map((u) => Buffer.from(u)), { nil: null }) }), { maxLength: 3 }),
});

test('recordSizeBound is an upper bound of the encoded size; cutBySize keeps order and every batch under the limit', () => {
  fc.assert(
    fc.property(fc.array(arbRecord, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1_000, max: 40_000 }), (records, limit) => {
      for (const r of records) assert.ok(encodeRecordBatch({ records: [r] }).length - BATCH_HEADER <= recordSizeBound(r));
      const runs = cutBySize(records, limit);
      assert.deepEqual(runs.flat(), records, 'the runs are the records, in order');
      for (const run of runs) {
        assert.ok(run.length > 0);
        const encoded = encodeRecordBatch({ records: run }).length;
        // A run over the limit is a single record too large to share a batch.
        assert.ok(encoded <= limit + BATCH_HEADER || run.length === 1, `a run of ${run.length} records encodes to ${encoded} bytes > ${limit}`);
      }
      if (records.reduce((s, r) => s + recordSizeBound(r), 0) <= limit) assert.equal(runs.length, 1);
    }),
    { numRuns: 200 },
  );
});
