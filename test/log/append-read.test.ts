import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { CRC } from '../../src/records/batch-header.js';
import {
  CorruptRecordError,
  EARLIEST_TIMESTAMP,
  InvalidRecordError,
  LATEST_TIMESTAMP,
  MessageTooLargeError,
  OffsetOutOfRangeError,
  RecordListTooLargeError,
  UnknownTopicOrPartitionError,
} from '../../src/log/index.js';
import { batch, batchesOf, openLog, readAll, recordsOf, tempDir, valuesBatch } from './helpers.js';

/** Deterministic PRNG so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('append and read across many segments; every offset is found through the sparse index', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('t', { partitions: 1, config: { 'segment.bytes': 4096, 'index.interval.bytes': 300 } });
  const p = log.partition('t', 0);
  const random = rng(1);
  const expected: string[] = [];
  const batchStarts: number[] = [];
  for (let i = 0; i < 300; i++) {
    const n = 1 + Math.floor(random() * 12);
    const records = Array.from({ length: n }, (_, j) => ({ key: `k${j}`, value: `b${i}r${j}` }));
    const r = await p.append(batch(records));
    assert.equal(r.baseOffset, expected.length);
    assert.equal(r.lastOffset, expected.length + n - 1);
    assert.equal(r.recordCount, n);
    assert.equal(r.logAppendTime, -1);
    batchStarts.push(r.baseOffset);
    for (const rec of records) expected.push(rec.value);
  }
  assert.equal(p.logEndOffset, expected.length);
  assert.equal(p.highWatermark, expected.length);
  assert.equal(p.logStartOffset, 0);
  const desc = log.describeTopic('t').partitions[0]!;
  assert.ok(desc.segments.length > 10, `expected many segments, got ${desc.segments.length}`);
  for (const s of desc.segments) assert.ok(s.size <= 4096);
  assert.equal(desc.size, desc.segments.reduce((a, s) => a + s.size, 0));

  // Sequential read returns each offset exactly once, in order.
  assert.deepEqual(readAll(p).map((r) => r.value), expected);
  assert.deepEqual(readAll(p).map((r) => r.offset), expected.map((_, i) => i));

  // Any offset, including one inside a batch: the first batch returned holds it.
  for (let o = 0; o < expected.length; o++) {
    const r = p.read(o, { maxBytes: 1 });
    const batches = batchesOf(r.records);
    assert.equal(batches.length, 1, `offset ${o}`);
    const b = batches[0]!;
    assert.ok(b.baseOffset <= o && o <= b.lastOffset, `offset ${o} not in [${b.baseOffset}, ${b.lastOffset}]`);
    assert.ok(batchStarts.includes(b.baseOffset));
    const rec = recordsOf(r.records).find((x) => x.offset === o);
    assert.equal(rec?.value, expected[o]);
  }

  // Sealed segments have index entries on disk (interval 300 bytes, segments ~4 KiB).
  const sealed = desc.segments[0]!;
  assert.ok(statSync(join(dir, 't-0', `${String(sealed.baseOffset).padStart(20, '0')}.index`)).size >= 8);
  assert.ok(statSync(join(dir, 't-0', `${String(sealed.baseOffset).padStart(20, '0')}.timeindex`)).size >= 12);

  // The same after a reopen (indexes loaded from disk, not rebuilt).
  await log.close();
  const again = await openLog(dir);
  const q = again.partition('t', 0);
  assert.equal(q.logEndOffset, expected.length);
  assert.deepEqual(readAll(q).map((r) => r.value), expected);
  for (let o = 0; o < expected.length; o += 7) {
    const rec = recordsOf(q.read(o, { maxBytes: 1 }).records).find((x) => x.offset === o);
    assert.equal(rec?.value, expected[o]);
  }
  await again.close();
});

test('maxBytes: whole batches that fit, but never fewer than one', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('t');
  const p = log.partition('t', 0);
  const sizes: number[] = [];
  for (let i = 0; i < 20; i++) {
    const b = valuesBatch(`x${i}-`, 10);
    sizes.push(b.length);
    await p.append(b);
  }
  const one = p.read(0, { maxBytes: 1 });
  assert.equal(one.records.length, sizes[0]);
  const three = p.read(0, { maxBytes: sizes[0]! + sizes[1]! + sizes[2]! + 5 });
  assert.equal(batchesOf(three.records).length, 3);
  const all = p.read(0, { maxBytes: 10_000_000 });
  assert.equal(all.records.length, sizes.reduce((a, b) => a + b, 0));
  assert.equal(all.highWatermark, 200);
  assert.equal(all.logStartOffset, 0);
  // maxOffset bounds the result to whole batches below it.
  const bounded = p.read(0, { maxBytes: 10_000_000, maxOffset: 25 });
  assert.equal(batchesOf(bounded.records).at(-1)!.lastOffset, 19);
  // At the log end: empty, not an error.
  assert.equal(p.read(200).records.length, 0);
  await log.close();
});

test('offsets out of range, unknown topics and partitions are typed errors', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('t', { partitions: 2 });
  const p = log.partition('t', 1);
  await p.append(valuesBatch('v', 5));
  for (const bad of [-1, 6, 1000, 1.5, NaN]) {
    assert.throws(() => p.read(bad), (e: unknown) => e instanceof OffsetOutOfRangeError && e.code === 'OFFSET_OUT_OF_RANGE', String(bad));
  }
  assert.throws(() => log.partition('nope', 0), (e: unknown) => e instanceof UnknownTopicOrPartitionError && e.code === 'UNKNOWN_TOPIC_OR_PARTITION');
  assert.throws(() => log.partition('t', 2), UnknownTopicOrPartitionError);
  assert.throws(() => log.partition('t', -1), UnknownTopicOrPartitionError);
  assert.throws(() => log.describeTopic('nope'), UnknownTopicOrPartitionError);
  await assert.rejects(log.deleteTopic('nope'), UnknownTopicOrPartitionError);
  await assert.rejects(log.createTopic('bad/name'), { code: 'INVALID_TOPIC_EXCEPTION' });
  await assert.rejects(log.createTopic('t'), { code: 'TOPIC_ALREADY_EXISTS' });
  await assert.rejects(log.createTopic('z', { partitions: 0 }), { code: 'INVALID_PARTITIONS' });
  await assert.rejects(log.createTopic('z', { config: { 'segment.bytes': 'big' } }), { code: 'INVALID_CONFIG' });
  await assert.rejects(log.createPartitions('t', 2), { code: 'INVALID_PARTITIONS' });
  assert.equal(log.hasTopic('z'), false);
  await log.close();
});

test('bad appends are rejected with typed errors and leave the log unchanged', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('t', { config: { 'max.message.bytes': 2000, 'segment.bytes': 5000 } });
  await log.createTopic('c', { config: { 'cleanup.policy': 'compact' } });
  const p = log.partition('t', 0);
  await p.append(valuesBatch('ok', 3));

  const corrupt = valuesBatch('x', 3);
  corrupt[corrupt.length - 1]! ^= 0xff;
  await assert.rejects(p.append(corrupt), (e: unknown) => e instanceof CorruptRecordError && e.code === 'CORRUPT_MESSAGE');
  const badCrc = valuesBatch('x', 3);
  badCrc.writeUInt32BE((badCrc.readUInt32BE(CRC) ^ 1) >>> 0, CRC);
  await assert.rejects(p.append(badCrc), CorruptRecordError);
  const torn = valuesBatch('x', 3).subarray(0, 40);
  await assert.rejects(p.append(Buffer.from(torn)), CorruptRecordError);
  const badMagic = valuesBatch('x', 3);
  badMagic[16] = 1;
  await assert.rejects(p.append(badMagic), CorruptRecordError);
  await assert.rejects(p.append(Buffer.alloc(0)), InvalidRecordError);
  const big = batch([{ key: 'k', value: 'v'.repeat(3000) }]);
  await assert.rejects(p.append(big), (e: unknown) => e instanceof MessageTooLargeError && e.code === 'MESSAGE_TOO_LARGE');
  const many = Buffer.concat(Array.from({ length: 100 }, () => valuesBatch('y', 3)));
  await assert.rejects(p.append(many), (e: unknown) => e instanceof RecordListTooLargeError && e.code === 'RECORD_LIST_TOO_LARGE');
  // A valid batch followed by a broken one: nothing of the append is written.
  await assert.rejects(p.append(Buffer.concat([valuesBatch('a', 2), corrupt])), CorruptRecordError);

  const c = log.partition('c', 0);
  await assert.rejects(
    c.append(batch([{ key: 'a', value: '1' }, { key: null, value: '2' }])),
    (e: unknown) => e instanceof InvalidRecordError && e.code === 'INVALID_RECORD' && /record 1 of batch 0 has a null key/.test(e.message),
  );
  // The second batch of an append, after a valid one: the check sees each batch's own records.
  await assert.rejects(
    c.append(Buffer.concat([batch([{ key: 'a', value: '1' }]), batch([{ key: 'b', value: '1' }, { key: 'c', value: '2' }, { key: null, value: '3' }])])),
    (e: unknown) => e instanceof InvalidRecordError && /record 2 of batch 1 has a null key/.test(e.message),
  );
  await assert.rejects(c.append(batch([{ key: null, value: '2' }], { compression: 'gzip' })), InvalidRecordError);
  assert.equal(c.logEndOffset, 0);
  await c.append(batch([{ key: 'a', value: '1' }]));
  assert.equal(c.logEndOffset, 1);

  assert.equal(p.logEndOffset, 3);
  assert.deepEqual(readAll(p).map((r) => r.value), ['ok0', 'ok1', 'ok2']);
  await p.append(valuesBatch('next', 2));
  assert.deepEqual(readAll(p).map((r) => r.offset), [0, 1, 2, 3, 4]);
  await log.close();
});

test('several batches in one append get contiguous offsets, rewritten in place', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('t');
  const p = log.partition('t', 0);
  await p.append(valuesBatch('a', 4));
  const payload = Buffer.concat([valuesBatch('b', 3), valuesBatch('c', 2, 5000), valuesBatch('d', 1)]);
  const r = await p.append(payload);
  assert.deepEqual([r.baseOffset, r.lastOffset, r.recordCount], [4, 9, 6]);
  assert.deepEqual(batchesOf(payload).map((b) => b.baseOffset), [4, 7, 9]);
  assert.deepEqual(readAll(p).map((x) => x.value), ['a0', 'a1', 'a2', 'a3', 'b0', 'b1', 'b2', 'c0', 'c1', 'd0']);
  assert.equal(batchesOf(p.read(4).records)[0]!.partitionLeaderEpoch, 0);
  await log.close();
});

test('LogAppendTime stamps the batch (CRC still valid) and reports the time', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  let now = 1_700_000_000_000;
  const log = await openLog(dir, { clock: () => now });
  await log.createTopic('t', { config: { 'message.timestamp.type': 'LogAppendTime' } });
  const p = log.partition('t', 0);
  const r = await p.append(valuesBatch('v', 3, 42));
  assert.equal(r.logAppendTime, now);
  now += 10;
  const read = p.read(0);
  const [b] = batchesOf(read.records);
  assert.equal(b!.timestampType, 'log-append');
  assert.deepEqual(recordsOf(read.records).map((x) => x.timestamp), [now - 10, now - 10, now - 10]);
  assert.deepEqual(p.offsetForTimestamp(now - 10), { offset: 0, timestamp: now - 10 });
  await log.close();
});

test('timestamp lookup: first offset with timestamp >= t, with out-of-order timestamps and compression', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('t', { config: { 'segment.bytes': 3000, 'index.interval.bytes': 200 } });
  const p = log.partition('t', 0);
  const random = rng(7);
  const timestamps: number[] = [];
  for (let i = 0; i < 200; i++) {
    const n = 1 + Math.floor(random() * 6);
    const records = Array.from({ length: n }, () => {
      // Mostly rising, with some records far in the past and a few far ahead.
      const base = 10_000 + timestamps.length * 10;
      const roll = random();
      const ts = roll < 0.15 ? base - Math.floor(random() * 5000) : roll > 0.97 ? base + 3000 : base + Math.floor(random() * 30);
      timestamps.push(ts);
      return { key: 'k', value: `v${timestamps.length - 1}`, timestamp: ts };
    });
    await p.append(batch(records, { compression: i % 3 === 0 ? 'gzip' : 'none' }));
  }
  assert.ok(log.describeTopic('t').partitions[0]!.segments.length > 5);
  const expect = (target: number): { offset: number; timestamp: number } | null => {
    const i = timestamps.findIndex((ts) => ts >= target);
    return i < 0 ? null : { offset: i, timestamp: timestamps[i]! };
  };
  const targets = [0, 4999, 5000, 10_000, 10_001, ...Array.from({ length: 300 }, () => Math.floor(random() * 16_000)), Math.max(...timestamps), Math.max(...timestamps) + 1];
  for (const target of targets) assert.deepEqual(p.offsetForTimestamp(target), expect(target), `target ${target}`);
  assert.deepEqual(p.offsetForTimestamp(EARLIEST_TIMESTAMP), { offset: 0, timestamp: -1 });
  assert.deepEqual(p.offsetForTimestamp(LATEST_TIMESTAMP), { offset: timestamps.length, timestamp: -1 });
  await log.close();
  // After reopen the time indexes come from disk.
  const again = await openLog(dir);
  const q = again.partition('t', 0);
  for (const target of targets.slice(0, 100)) assert.deepEqual(q.offsetForTimestamp(target), expect(target), `target ${target} after reopen`);
  await again.close();
});
