import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openLog, tempDir, valuesBatch } from './helpers.js';

test('waitForData wakes on append, times out otherwise, without spinning', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('t');
  const p = log.partition('t', 0);
  await p.append(valuesBatch('a', 2));

  // Data already there: at once.
  assert.equal(await p.waitForData(1, 10_000), true);

  // Woken by an append long before the timeout.
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const woken = p.waitForData(2, 10_000);
  setTimeout(() => void p.append(valuesBatch('b', 1)), 300);
  assert.equal(await woken, true);
  const elapsed = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  assert.ok(elapsed >= 250 && elapsed < 2000, `woke after ${elapsed} ms`);
  // A polling loop would burn CPU for the whole 300 ms; parked waiting costs next to nothing.
  assert.ok((cpu.user + cpu.system) / 1000 < 100, `used ${(cpu.user + cpu.system) / 1000} ms of CPU while waiting`);

  // Timeout: resolves false, not earlier than asked.
  const t0 = performance.now();
  assert.equal(await p.waitForData(3, 200), false);
  assert.ok(performance.now() - t0 >= 190);

  // Many waiters at different offsets: each wakes when the end passes its offset, not before.
  const flags: boolean[] = [];
  const waits = [3, 4, 5, 9].map((o, i) => p.waitForData(o, 5_000).then((v) => (flags[i] = v)));
  await p.append(valuesBatch('c', 2)); // end 3 -> 5: wakes 3 and 4
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(flags, [true, true]);
  await p.append(valuesBatch('d', 1)); // end 6: wakes 5
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(flags, [true, true, true]);
  await p.append(valuesBatch('e', 10));
  await Promise.all(waits);
  assert.deepEqual(flags, [true, true, true, true]);

  // Abort: rejects with the signal's reason.
  const ac = new AbortController();
  const aborted = p.waitForData(100, 10_000, ac.signal);
  setTimeout(() => ac.abort(), 20);
  await assert.rejects(aborted, { name: 'AbortError' });

  // Close ends pending waits with false.
  const pending = p.waitForData(1000, 60_000);
  await log.close();
  assert.equal(await pending, false);
});
