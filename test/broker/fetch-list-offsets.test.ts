import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKeys, ErrorCodes } from '../../src/protocol/index.js';
import { encodeRecordBatch, iterateBatches } from '../../src/records/index.js';
import { RawClient, startTestBroker, tempDir } from './helpers.js';

function batch(n: number, ts: number, size = 100): Buffer {
  return encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(size, 97 + i), timestamp: ts + i })) });
}

async function setup(t: { after: (fn: () => unknown) => void }) {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir);
  const c = await RawClient.connect(broker.port);
  t.after(async () => {
    c.close();
    await broker.close();
    cleanup();
  });
  return { broker, c };
}

test('Fetch limits: maxBytes over the response, partitionMaxBytes per partition, the first batch always whole (KIP-74)', async (t) => {
  const { broker, c } = await setup(t);
  await broker.log.createTopic('f', { partitions: 3 });
  const sizes: number[] = [];
  for (let p = 0; p < 3; p++) {
    for (let i = 0; i < 3; i++) {
      const b = batch(5, 1000 * i);
      if (p === 0) sizes.push(b.length);
      await broker.log.partition('f', p).append(b);
    }
  }
  const one = sizes[0]!;
  const fetch = (maxBytes: number, partitionMaxBytes: number) =>
    c.request(ApiKeys.Fetch, 11, {
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes,
      isolationLevel: 0,
      topics: [{ topic: 'f', partitions: [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0n, partitionMaxBytes })) }],
    });
  const batchesPer = (r: Awaited<ReturnType<typeof fetch>>) => r.responses[0]!.partitions.map((p) => [...iterateBatches(p.records ?? Buffer.alloc(0))].length);

  assert.deepEqual(batchesPer(await fetch(1 << 20, 1 << 20)), [3, 3, 3]);
  // Per partition: two batches fit in each.
  assert.deepEqual(batchesPer(await fetch(1 << 20, 2 * one + 10)), [2, 2, 2]);
  // Over the response: 4 batches' worth; the first partition takes 3, the second 1, the third none.
  assert.deepEqual(batchesPer(await fetch(4 * one + 10, 1 << 20)), [3, 1, 0]);
  // Limits smaller than one batch: the first partition still returns one whole batch, the others nothing.
  assert.deepEqual(batchesPer(await fetch(10, 10)), [1, 0, 0]);
  // Responses carry the partition's bounds.
  const r = await fetch(10, 10);
  assert.deepEqual(
    r.responses[0]!.partitions.map((p) => [p.highWatermark, p.lastStableOffset, p.logStartOffset, p.errorCode]),
    [0, 1, 2].map(() => [15n, 15n, 0n, 0]),
  );
  // Fetching from the middle of a batch returns that whole batch (the client skips what it did not ask for).
  const mid = await c.request(ApiKeys.Fetch, 11, {
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    topics: [{ topic: 'f', partitions: [{ partition: 0, fetchOffset: 7n, partitionMaxBytes: 1 << 20 }] }],
  });
  assert.deepEqual([...iterateBatches(mid.responses[0]!.partitions[0]!.records!)].map((b) => b.baseOffset), [5, 10]);
});

test('Fetch with minBytes waits until enough bytes arrived, not just the first record', async (t) => {
  const { broker, c } = await setup(t);
  await broker.log.createTopic('mb');
  const small = batch(1, 1, 10);
  const started = Date.now();
  const pending = c.request(ApiKeys.Fetch, 11, {
    maxWaitMs: 5000,
    minBytes: small.length * 3,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    topics: [{ topic: 'mb', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
  });
  const log = broker.log.partition('mb', 0);
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 100));
    await log.append(batch(1, 1, 10));
  }
  const r = await pending;
  const took = Date.now() - started;
  assert.equal([...iterateBatches(r.responses[0]!.partitions[0]!.records!)].length, 3);
  assert.ok(took >= 250 && took < 3000, `answered after ${took} ms`);
});

test('a long-polling Fetch of 16 partitions, woken by an append to one: no listener-leak warning', async (t) => {
  const { broker, c } = await setup(t);
  await broker.log.createTopic('many', { partitions: 16 });
  const warnings: string[] = [];
  const onWarning = (w: Error) => void warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const pending = c.request(ApiKeys.Fetch, 11, {
    maxWaitMs: 5000,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    topics: [{ topic: 'many', partitions: Array.from({ length: 16 }, (_, partition) => ({ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 })) }],
  });
  await new Promise((r) => setTimeout(r, 100));
  await broker.log.partition('many', 7).append(batch(1, 1, 10));
  const r = await pending;
  assert.deepEqual(
    r.responses[0]!.partitions.filter((p) => p.records !== null && p.records.length > 0).map((p) => p.partitionIndex),
    [7],
  );
  await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
  assert.deepEqual(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning')), []);
});

test('ListOffsets: earliest, latest, by timestamp, max timestamp, unknown partitions', async (t) => {
  const { broker, c } = await setup(t);
  await broker.log.createTopic('lo');
  const log = broker.log.partition('lo', 0);
  await log.append(batch(3, 1000)); // offsets 0-2, ts 1000-1002
  await log.append(batch(3, 5000)); // offsets 3-5, ts 5000-5002
  await log.append(batch(2, 2000)); // offsets 6-7, ts 2000-2001
  const list = async (timestamp: bigint, v = 7) =>
    (await c.request(ApiKeys.ListOffsets, v, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets: 1 }] }] })).topics[0]!
      .partitions[0]!;
  assert.equal((await list(-2n)).offset, 0n);
  assert.equal((await list(-1n)).offset, 8n);
  assert.deepEqual([(await list(1001n)).offset, (await list(1001n)).timestamp], [1n, 1001n]);
  assert.deepEqual([(await list(3000n)).offset, (await list(3000n)).timestamp], [3n, 5000n]);
  assert.deepEqual([(await list(9999n)).offset, (await list(9999n)).timestamp], [-1n, -1n]);
  const max = await list(-3n);
  assert.deepEqual([max.offset, max.timestamp, max.leaderEpoch], [5n, 5002n, 0]);
  assert.deepEqual((await list(-1n, 0)).oldStyleOffsets, [8n]);
  const unknown = await c.request(ApiKeys.ListOffsets, 7, { replicaId: -1, topics: [{ name: 'lo', partitions: [{ partitionIndex: 4, timestamp: -1n }] }, { name: 'zz', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
  assert.deepEqual(unknown.topics.map((x) => x.partitions[0]!.errorCode), [ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION]);

  // OffsetForLeaderEpoch: one epoch, ending at the log end.
  const e = await c.request(ApiKeys.OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [{ topic: 'lo', partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }, { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 3 }] }] });
  assert.deepEqual(e.topics[0]!.partitions.map((p) => [p.leaderEpoch, p.endOffset]), [[0, 8n], [-1, -1n]]);
});
