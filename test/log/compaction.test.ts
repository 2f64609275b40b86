import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { batchesOf, openLog, readAll, tempDir, type ReadRecord } from './helpers.js';

interface Written {
  offset: number;
  key: string;
  value: string | null;
}

/** Latest per key within [0, end); everything at or after `end` (the active segment) is kept. */
function expectedAfterCleaning(written: readonly Written[], end: number, dropTombstones: boolean): Written[] {
  const latest = new Map<string, number>();
  for (const w of written) if (w.offset < end) latest.set(w.key, w.offset);
  return written.filter((w) => {
    if (w.offset >= end) return true;
    if (latest.get(w.key) !== w.offset) return false;
    return !(dropTombstones && w.value === null);
  });
}

const view = (rs: readonly (Written | ReadRecord)[]): string[] => rs.map((r) => `${r.offset}:${r.key}=${r.value}`);

test('compaction keeps the latest record per key with its offset; tombstones go after delete.retention.ms', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  let now = 5_000_000;
  const log = await openLog(dir, { clock: () => now });
  await log.createTopic('c', {
    config: { 'cleanup.policy': 'compact', 'segment.bytes': 2048, 'delete.retention.ms': 60_000, 'index.interval.bytes': 128 },
  });
  const p = log.partition('c', 0);
  const written: Written[] = [];
  let state = 12345;
  const random = (): number => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 120; i++) {
    const n = 1 + Math.floor(random() * 5);
    const records = Array.from({ length: n }, () => {
      const key = `key${Math.floor(random() * 15)}`;
      const value = random() < 0.1 ? null : `v${written.length}`;
      return { key, value };
    });
    const b = encodeRecordBatch({
      records: records.map((r) => ({ key: Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value), timestamp: now })),
      compression: i % 4 === 0 ? 'gzip' : 'none',
      producerId: 77,
      producerEpoch: 3,
      baseSequence: written.length,
    });
    const r = await p.append(b);
    records.forEach((rec, j) => written.push({ offset: r.baseOffset + j, key: rec.key, value: rec.value }));
  }
  // Delete five keys for good, then write enough other keys that the tombstones leave the active segment.
  const deletes = ['key0', 'key1', 'key2', 'key3', 'key4'].map((key) => ({ key, value: null }));
  const fillers = Array.from({ length: 60 }, (_, i) => ({ key: `other${i}`, value: `filler${i}` }));
  for (const group of [deletes, ...Array.from({ length: 12 }, (_, i) => fillers.slice(i * 5, i * 5 + 5))]) {
    const b = encodeRecordBatch({
      records: group.map((r) => ({ key: Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value), timestamp: now })),
    });
    const r = await p.append(b);
    group.forEach((rec, j) => written.push({ offset: r.baseOffset + j, key: rec.key, value: rec.value }));
  }
  const before = log.describeTopic('c').partitions[0]!;
  assert.ok(before.segments.length > 4);
  const activeBase = before.segments.at(-1)!.baseOffset;
  assert.deepEqual(view(readAll(p)), view(written));

  const stats = await p.clean({ force: true });
  assert.ok(stats !== null);
  assert.ok(stats.recordsRemoved > 0);
  assert.equal(stats.tombstonesRemoved, 0);
  const firstPass = expectedAfterCleaning(written, activeBase, false);
  assert.ok(firstPass.filter((w) => w.value === null && w.offset < activeBase).length >= 5, 'test data must leave tombstones to expire');
  assert.deepEqual(view(readAll(p)), view(firstPass));
  const after = log.describeTopic('c').partitions[0]!;
  assert.ok(after.size < before.size, `size ${before.size} -> ${after.size}, ${JSON.stringify(stats)}`);
  assert.equal(after.logEndOffset, before.logEndOffset);
  assert.equal(after.logStartOffset, 0);
  // Batches kept their producer fields; offsets inside each batch stay within it.
  for (const b of batchesOf(p.read(0, { maxBytes: 1 << 20 }).records)) {
    assert.equal(b.producerId, 77);
    assert.equal(b.producerEpoch, 3);
  }
  // A read from an offset whose record was removed starts at the next one that exists.
  const removed = written.find((w) => w.offset < activeBase && !firstPass.some((f) => f.offset === w.offset))!;
  const next = firstPass.find((f) => f.offset > removed.offset)!;
  const fromRemoved = readAll(p, removed.offset);
  assert.equal(fromRemoved[0]!.offset, next.offset);

  // Before the delete horizon, a second pass changes nothing.
  now += 30_000;
  await p.clean({ force: true });
  assert.deepEqual(view(readAll(p)), view(firstPass));

  // Past it, tombstones in the cleaned range go.
  now += 31_000;
  const third = await p.clean({ force: true });
  assert.ok(third !== null && third.tombstonesRemoved > 0, JSON.stringify(third));
  const finalExpected = expectedAfterCleaning(written, activeBase, true);
  assert.ok(finalExpected.length < firstPass.length);
  assert.deepEqual(view(readAll(p)), view(finalExpected));

  // New appends still land at the log end; the result survives a reopen.
  const r = await p.append(encodeRecordBatch({ records: [{ key: Buffer.from('key1'), value: Buffer.from('late'), timestamp: now }] }));
  assert.equal(r.baseOffset, before.logEndOffset);
  await log.close();
  const again = await openLog(dir, { clock: () => now });
  const q = again.partition('c', 0);
  assert.deepEqual(view(readAll(q)), view([...finalExpected, { offset: r.baseOffset, key: 'key1', value: 'late' }]));
  await again.close();
});

test('the background cleaner compacts when the dirty ratio is reached; min.compaction.lag.ms holds young segments back', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  let now = 1_000_000;
  const log = await openLog(dir, { clock: () => now, cleanerIntervalMs: 20 });
  await log.createTopic('c', { config: { 'cleanup.policy': 'compact', 'segment.bytes': 1024, 'min.compaction.lag.ms': 100_000 } });
  const p = log.partition('c', 0);
  for (let i = 0; i < 60; i++) {
    await p.append(encodeRecordBatch({ records: [{ key: Buffer.from(`k${i % 3}`), value: Buffer.from(`v${i}`), timestamp: now }] }));
  }
  const size = p.size;
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(p.size, size, 'records younger than min.compaction.lag.ms must not be compacted');
  now += 200_000;
  const deadline = Date.now() + 3000;
  while (p.size === size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(p.size < size, 'the background cleaner did not run');
  await log.close();
});
