import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { RecordBatch, encodeRecordBatch, type RecordHeader } from '../../src/records/index.js';
import { batchInput, type GeneratedBatch } from './helpers/arbitraries.js';

/**
 * kafkajs 2.2.4 as an independent implementation of RecordBatch v2 (its own encoder, decoder, varints
 * and CRC-32C), used offline through its internal protocol modules: our bytes must equal what it
 * writes for the same fields, and each side must read what the other writes.
 */
const require = createRequire(import.meta.url);

interface KjsRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: { [key: string]: Buffer | Buffer[] };
}
interface KjsBatch {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  records: KjsRecord[];
}
interface KjsEncoder {
  buffer: Buffer;
}
const Decoder = require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => unknown;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<KjsBatch>;
const { RecordBatch: KjsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (args: Record<string, unknown>) => Promise<KjsEncoder>;
};
const KjsRecordEncoder = require('kafkajs/src/protocol/recordBatch/record/v0') as (args: Record<string, unknown>) => unknown;
const Long = require('kafkajs/src/utils/long') as { fromValue(v: number | string): unknown };

/** kafkajs headers are an object, so it can only carry batches whose header keys are unique per record. */
function kjsHeaders(headers: RecordHeader[]): { [key: string]: Buffer } {
  const out: { [key: string]: Buffer } = {};
  for (const h of headers) out[h.key] = h.value ?? Buffer.alloc(0);
  return out;
}

/**
 * Headers as kafkajs can express them: unique keys, non-null values (its size computation reads the
 * value), and no key that Object.prototype already has, such as __proto__ or toString (kafkajs collects headers into a plain object).
 */
function kjsCompatible(input: GeneratedBatch): GeneratedBatch {
  return {
    ...input,
    control: false, // kafkajs's encoder has no control flag
    timestampType: 'create', // nor a timestamp type
    records: input.records.map((r) => {
      const seen = new Set<string>();
      const headers = r.headers.filter((h) => !(h.key in Object.prototype) && !seen.has(h.key) && (seen.add(h.key), true)).map((h) => ({ key: h.key, value: h.value ?? Buffer.alloc(0) }));
      return { ...r, headers };
    }),
  };
}

async function kjsEncode(input: GeneratedBatch, compression: number): Promise<Buffer> {
  const b = new RecordBatch(encodeRecordBatch({ ...input, compression: 'none' }));
  const enc = await KjsRecordBatch({
    compression,
    firstOffset: Long.fromValue(b.baseOffset),
    firstTimestamp: b.baseTimestamp,
    maxTimestamp: b.maxTimestamp,
    partitionLeaderEpoch: b.partitionLeaderEpoch,
    lastOffsetDelta: b.lastOffsetDelta,
    transactional: b.isTransactional,
    producerId: Long.fromValue(b.producerId),
    producerEpoch: b.producerEpoch,
    firstSequence: b.baseSequence,
    records: input.records.map((r) =>
      KjsRecordEncoder({
        offsetDelta: r.offsetDelta,
        timestampDelta: Long.fromValue(r.timestamp - b.baseTimestamp),
        key: r.key,
        value: r.value,
        headers: kjsHeaders(r.headers),
      }),
    ),
  });
  return enc.buffer;
}

test('uncompressed: our bytes equal kafkajs bytes for the same fields (property)', async () => {
  await fc.assert(
    fc.asyncProperty(batchInput(fc.constant('none')), async (generated) => {
      const input = kjsCompatible(generated);
      assert.deepEqual(encodeRecordBatch(input), await kjsEncode(input, 0));
    }),
    { numRuns: 200 },
  );
});

test('none and gzip: kafkajs decodes our batches to the same records, and we decode its batches (property)', async () => {
  await fc.assert(
    fc.asyncProperty(batchInput(fc.constantFrom('none' as const, 'gzip' as const)), async (generated) => {
      const input = kjsCompatible(generated);
      const ours = encodeRecordBatch(input);
      const theirs = await decodeBatch(new Decoder(ours));
      const b = new RecordBatch(ours);
      assert.equal(theirs.firstOffset, String(b.baseOffset));
      assert.equal(theirs.lastOffsetDelta, b.lastOffsetDelta);
      assert.equal(theirs.producerId, String(b.producerId));
      assert.equal(theirs.producerEpoch, b.producerEpoch);
      assert.equal(theirs.firstSequence, b.baseSequence);
      assert.equal(theirs.inTransaction, b.isTransactional);
      assert.equal(theirs.partitionLeaderEpoch, b.partitionLeaderEpoch);
      assert.deepEqual(
        theirs.records.map((r) => ({ offset: Number(r.offset), timestamp: Number(r.timestamp), key: r.key, value: r.value, headers: r.headers })),
        b.records().map((r) => ({ ...r, headers: kjsHeaders(r.headers) })),
      );

      const kjsBytes = await kjsEncode(input, input.compression === 'gzip' ? 1 : 0);
      const back = new RecordBatch(kjsBytes);
      back.verify();
      assert.equal(back.compression, input.compression);
      assert.deepEqual(back.records(), b.records());
    }),
    { numRuns: 150 },
  );
});
