import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openLog, tempDir, valuesBatch } from './helpers.js';

test("fsync 'always': appends resolve only after an fdatasync, and a burst shares a few", async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir, { fsync: 'always' });
  await log.createTopic('t');
  const p = log.partition('t', 0);
  const before = p.fsyncCount;
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      p.append(valuesBatch(`v${i}-`, 5)).then((r) => {
        // Durable when it resolves: the recovery point (fdatasynced prefix) covers it.
        assert.ok(p.recoveryPoint > r.lastOffset, `recovery point ${p.recoveryPoint} does not cover ${r.lastOffset}`);
        return r;
      }),
    ),
  );
  assert.equal(results.length, 200);
  assert.deepEqual(results.map((r) => r.baseOffset), results.map((_, i) => i * 5));
  const syncs = p.fsyncCount - before;
  assert.ok(syncs >= 1 && syncs <= 5, `200 concurrent appends took ${syncs} fdatasyncs`);

  // Sequential appends each wait for their own sync.
  const seqBefore = p.fsyncCount;
  for (let i = 0; i < 5; i++) await p.append(valuesBatch('s', 1));
  assert.equal(p.fsyncCount - seqBefore, 5);
  await log.close();
});

test("fsync 'interval': appends resolve at once, the recovery point follows within the interval", async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir, { fsync: 'interval', fsyncIntervalMs: 50 });
  await log.createTopic('t');
  const p = log.partition('t', 0);
  for (let i = 0; i < 20; i++) await p.append(valuesBatch('v', 10));
  assert.equal(p.logEndOffset, 200);
  const deadline = Date.now() + 3000;
  while (p.recoveryPoint < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(p.recoveryPoint, 200);
  await log.close();
});

test("fsync 'never': nothing synced until roll or close", async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir, { fsync: 'never', fsyncIntervalMs: 10 });
  await log.createTopic('t');
  const p = log.partition('t', 0);
  const before = p.fsyncCount;
  for (let i = 0; i < 20; i++) await p.append(valuesBatch('v', 10));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(p.fsyncCount, before);
  await log.close();
  assert.equal(p.recoveryPoint, 200);
});
