import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ApiKeys } from '../../src/protocol/index.js';
import { encodeRecordBatch, iterateBatches } from '../../src/records/index.js';
import { RawClient, startTestBroker, tempDir } from './helpers.js';

/**
 * Random frames and mutated valid frames, each on its own connection; afterwards the broker must
 * still serve a well-behaved client, with every record produced before intact. Auto-creation is off
 * and admin APIs are left out of the seeds, so a mutation cannot make the run create thousands of
 * partitions on disk.
 */
test('fuzz: random and mutated frames never take the broker down or damage earlier data', async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir, { autoCreateTopics: false, maxFrameBytes: 1 << 20 });
  t.after(async () => {
    await broker.close();
    cleanup();
  });
  await broker.log.createTopic('keep', { partitions: 2 });
  const good = await RawClient.connect(broker.port);
  t.after(() => good.close());
  const values = Array.from({ length: 20 }, (_, i) => `value-${i}`);
  const produced = await good.request(ApiKeys.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [{ name: 'keep', partitionData: [{ index: 0, records: encodeRecordBatch({ records: values.map((v) => ({ value: Buffer.from(v) })) }) }] }],
  });
  assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, 0);

  const seeds: Buffer[] = [];
  const enc = <K extends Parameters<RawClient['encode']>[0]>(k: K, v: number, body: Parameters<RawClient['encode']>[2] & object) =>
    Buffer.concat(good.encode(k, v, body as never, 77));
  seeds.push(enc(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }));
  seeds.push(enc(ApiKeys.Metadata, 12, { topics: [{ name: 'keep', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false }));
  seeds.push(enc(ApiKeys.Metadata, 1, { topics: null }));
  seeds.push(
    enc(ApiKeys.Produce, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'keep', partitionData: [{ index: 1, records: encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('fuzz') }] }) }] }],
    }),
  );
  seeds.push(
    enc(ApiKeys.Fetch, 11, {
      maxWaitMs: 50,
      minBytes: 1,
      maxBytes: 4096,
      isolationLevel: 0,
      topics: [{ topic: 'keep', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 4096 }] }],
    }),
  );
  seeds.push(enc(ApiKeys.ListOffsets, 7, { replicaId: -1, topics: [{ name: 'keep', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] }));
  seeds.push(enc(ApiKeys.OffsetFetch, 8, { groups: [{ groupId: 'g', topics: null }] }));
  seeds.push(enc(ApiKeys.Heartbeat, 4, { groupId: 'g', generationId: 1, memberId: 'm' }));
  seeds.push(enc(ApiKeys.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['g'] }));

  const mutated = fc
    .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.option(fc.nat(), { nil: undefined }))
    .map(([seed, edits, cut]) => {
      const b = Buffer.from(seed);
      // Keep the size prefix honest most of the time, so the mutation reaches the decoder.
      for (const [at, value] of edits) b[4 + (at % (b.length - 4))] = value;
      if (cut === undefined) return b;
      const len = 4 + (cut % (b.length - 4));
      const out = b.subarray(0, len);
      out.writeInt32BE(len - 4, 0);
      return out;
    });
  const random = fc.uint8Array({ minLength: 0, maxLength: 200 }).map((a) => Buffer.from(a));
  const withPrefix = fc.uint8Array({ minLength: 0, maxLength: 200 }).map((a) => {
    const b = Buffer.alloc(4 + a.length);
    b.writeInt32BE(a.length, 0);
    Buffer.from(a).copy(b, 4);
    return b;
  });

  await fc.assert(
    fc.asyncProperty(fc.oneof(mutated, random, withPrefix), async (bytes) => {
      const c = await RawClient.connect(broker.port);
      try {
        c.write(bytes);
        // Either an answer, a close, or nothing (an incomplete frame): all fine, as long as nothing breaks.
        await Promise.race([c.next(150).catch(() => null), new Promise((r) => setTimeout(r, 150))]);
      } finally {
        c.close();
      }
    }),
    { numRuns: 300, seed: Number(process.env.FUZZ_SEED ?? 20261125) },
  );

  const r = await good.request(ApiKeys.Fetch, 11, {
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    topics: [{ topic: 'keep', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
  });
  const read: string[] = [];
  for (const b of iterateBatches(r.responses[0]!.partitions[0]!.records!)) {
    b.verify();
    b.forEachRecord((_o, _ts, _k, v) => void read.push(v!.toString()));
  }
  assert.deepEqual(read.slice(0, values.length), values);
  const warnings = broker.logger.lines.filter((l) => l.includes('unexpected error'));
  assert.deepEqual(warnings, [], 'no handler failed with an untyped error');
});
