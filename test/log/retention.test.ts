import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { OffsetOutOfRangeError } from '../../src/log/index.js';
import { batch, openLog, readAll, tempDir, valuesBatch } from './helpers.js';

test('segments roll by size: none grows past segment.bytes', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('t', { config: { 'segment.bytes': 1000 } });
  const p = log.partition('t', 0);
  for (let i = 0; i < 50; i++) await p.append(valuesBatch(`v${i}-`, 1 + (i % 6)));
  const segments = log.describeTopic('t').partitions[0]!.segments;
  assert.ok(segments.length > 5);
  for (const s of segments) assert.ok(s.size <= 1000 && s.size > 0, `segment ${s.baseOffset} has ${s.size} bytes`);
  // Each segment starts where the previous one's data ends.
  const files = readdirSync(join(dir, 't-0')).filter((f) => f.endsWith('.log'));
  assert.equal(files.length, segments.length);
  assert.equal(readAll(p).length, p.logEndOffset);
  await log.close();
});

test('segments roll by age: segment.ms after the first append', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  let now = 1_000_000;
  const log = await openLog(dir, { clock: () => now });
  await log.createTopic('t', { config: { 'segment.ms': 10_000 } });
  const p = log.partition('t', 0);
  const count = (): number => log.describeTopic('t').partitions[0]!.segments.length;
  await p.append(valuesBatch('a', 1));
  now += 9_000;
  await p.append(valuesBatch('b', 1));
  assert.equal(count(), 1);
  now += 1_000; // 10 s after the segment's first append
  await p.append(valuesBatch('c', 1));
  assert.equal(count(), 2);
  now += 5_000;
  await p.append(valuesBatch('d', 1));
  assert.equal(count(), 2);
  now += 5_000;
  await p.append(valuesBatch('e', 1));
  assert.deepEqual(log.describeTopic('t').partitions[0]!.segments.map((s) => s.baseOffset), [0, 2, 4]);
  await log.close();
});

test('retention by time deletes whole expired segments and moves the log start offset', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  let now = 10_000_000;
  const log = await openLog(dir, { clock: () => now });
  await log.createTopic('t', { config: { 'retention.ms': 60_000, 'segment.bytes': 600 } });
  const p = log.partition('t', 0);
  // Record timestamps follow the clock: 1 s apart.
  for (let i = 0; i < 60; i++) {
    await p.append(batch([{ key: 'k', value: `v${i}`, timestamp: now }]));
    now += 1000;
  }
  const before = log.describeTopic('t').partitions[0]!.segments;
  assert.ok(before.length > 4);
  assert.equal(await log.runRetention(), 0, 'nothing is older than 60 s yet');
  now += 30_000;
  const deleted = await log.runRetention();
  assert.ok(deleted > 0);
  const after = log.describeTopic('t').partitions[0]!;
  assert.equal(after.segments.length, before.length - deleted);
  assert.equal(after.logStartOffset, after.segments[0]!.baseOffset);
  // What was deleted is exactly the segments whose newest record is over 60 s old.
  for (const s of before.slice(0, deleted)) assert.ok(now - s.largestTimestamp > 60_000);
  for (const s of after.segments) assert.ok(now - s.largestTimestamp <= 60_000);
  assert.throws(() => p.read(0), OffsetOutOfRangeError);
  assert.equal(readAll(p)[0]!.offset, after.logStartOffset);
  assert.equal(readdirSync(join(dir, 't-0')).filter((f) => f.endsWith('.log')).length, after.segments.length);
  assert.equal(readdirSync(join(dir, 't-0')).filter((f) => f.endsWith('.deleted')).length, 0);

  // Everything expired, the active segment too: it is rolled and deleted; the log stays usable.
  now += 1_000_000;
  await log.runRetention();
  const empty = log.describeTopic('t').partitions[0]!;
  assert.equal(empty.logStartOffset, 60);
  assert.equal(empty.logEndOffset, 60);
  assert.equal(empty.segments.length, 1);
  assert.equal(p.read(60).records.length, 0);
  const r = await p.append(batch([{ key: 'k', value: 'fresh', timestamp: now }]));
  assert.equal(r.baseOffset, 60);
  assert.equal(r.logStartOffset, 60);
  await log.close();
  const again = await openLog(dir, { clock: () => now });
  assert.equal(again.partition('t', 0).logStartOffset, 60);
  assert.deepEqual(readAll(again.partition('t', 0)).map((x) => x.value), ['fresh']);
  await again.close();
});

test('retention by size keeps at least retention.bytes, deleting the oldest segments', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('t', { config: { 'retention.bytes': 3000, 'segment.bytes': 1000, 'retention.ms': -1 } });
  const p = log.partition('t', 0);
  for (let i = 0; i < 80; i++) await p.append(valuesBatch(`v${i}-`, 2));
  const total = p.size;
  assert.ok(total > 6000);
  const deleted = await log.runRetention();
  assert.ok(deleted > 0);
  const segs = log.describeTopic('t').partitions[0]!.segments;
  const kept = segs.reduce((a, s) => a + s.size, 0);
  assert.ok(kept >= 3000, `kept ${kept}`);
  assert.ok(kept - segs[0]!.size < 3000, 'one more segment could have gone');
  assert.equal(p.logStartOffset, segs[0]!.baseOffset);
  assert.equal(await log.runRetention(), 0);
  await log.close();
});

test('retention runs in the background, and never on compact-only topics', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir, { retentionCheckIntervalMs: 30 });
  await log.createTopic('d', { config: { 'retention.bytes': 0, 'segment.bytes': 500 } });
  await log.createTopic('c', { config: { 'retention.bytes': 0, 'segment.bytes': 500, 'cleanup.policy': 'compact' } });
  for (let i = 0; i < 20; i++) {
    await log.partition('d', 0).append(valuesBatch('v', 2));
    await log.partition('c', 0).append(valuesBatch('v', 2));
  }
  const deadline = Date.now() + 3000;
  while (log.partition('d', 0).logStartOffset === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(log.partition('d', 0).logStartOffset > 0);
  assert.equal(log.partition('c', 0).logStartOffset, 0);
  await log.close();
});
