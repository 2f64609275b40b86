import fc from 'fast-check';
import type { BatchInput, Compression, RecordHeader, RecordInput } from '../../../src/records/index.js';

export const bytes = (maxLength = 300): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((u) => Buffer.from(u));

export const nullableBytes = (maxLength = 300): fc.Arbitrary<Buffer | null> => fc.option(bytes(maxLength), { nil: null, freq: 5 });

// fc.record builds null-prototype objects; decoded headers are plain objects, and deepEqual compares prototypes.
export const header: fc.Arbitrary<RecordHeader> = fc
  .tuple(fc.string({ unit: 'binary', maxLength: 20 }), nullableBytes(40))
  .map(([key, value]) => ({ key, value }));

/** Timestamps around "now", occasionally far away or -1 (Kafka's NO_TIMESTAMP). */
export const timestamp: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: -1, max: 2 ** 45 }) },
  { weight: 1, arbitrary: fc.constant(-1) },
);

export interface GeneratedRecord extends RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  headers: RecordHeader[];
  offsetDelta: number;
}

/** Records with explicit timestamps and strictly increasing offset deltas (gaps as after compaction). */
export const records = (maxLength = 20): fc.Arbitrary<GeneratedRecord[]> =>
  fc
    .array(
      fc.record({
        key: nullableBytes(40),
        value: nullableBytes(300),
        timestamp,
        headers: fc.array(header, { maxLength: 4 }),
        gap: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 1000 }) }),
      }),
      { minLength: 1, maxLength },
    )
    .map((rs) => {
      let od = -1;
      return rs.map(({ gap, ...r }) => {
        od += 1 + gap;
        return { ...r, offsetDelta: od };
      });
    });

export const compression: fc.Arbitrary<Compression> = fc.constantFrom('none', 'gzip', 'snappy', 'lz4', 'zstd');

export interface GeneratedBatch extends BatchInput {
  records: GeneratedRecord[];
}

export const batchInput = (codec: fc.Arbitrary<Compression> = compression): fc.Arbitrary<GeneratedBatch> =>
  fc.record(
    {
      records: records(),
      baseOffset: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 50 })),
      compression: codec,
      producerId: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 2 ** 50 })),
      producerEpoch: fc.integer({ min: -1, max: 0x7fff }),
      baseSequence: fc.integer({ min: -1, max: 0x7fffffff }),
      transactional: fc.boolean(),
      control: fc.boolean(),
      partitionLeaderEpoch: fc.integer({ min: -1, max: 0x7fffffff }),
      timestampType: fc.constantFrom('create' as const, 'log-append' as const),
      baseTimestamp: timestamp,
      maxTimestamp: timestamp,
    },
    { requiredKeys: ['records', 'compression'] },
  );
