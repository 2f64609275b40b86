import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProducerFencedError, embedded } from '../../../src/index.js';
import { timeWindowReference } from '../reference.js';
import { openLog, produce, readTopic, tempDir } from './helpers.js';
import { PARTITIONS, REF_OPTS, build, eventsOf, generate, results } from './clicks.js';
import { TIME_INDEX_PREFIX } from '../../../src/state/window-store.js';

const count = (acc: number | undefined) => (acc ?? 0) + 1;

for (const stateStore of ['memory', 'lmdb'] as const) {
  test(`restore (${stateStore} stores): run, stop, delete the local state, restart: the stores come back from the changelogs, same final results`, async () => {
    const { dir, cleanup } = tempDir();
    const log = await openLog(dir);
    try {
      await log.createTopic('clicks', { partitions: PARTITIONS });
      const { records } = generate(4_000, 4);
      const ref = timeWindowReference(eventsOf(records), REF_OPTS, count);
      const stateDir = join(dir, 'state');
      const options = { log: embedded({ manager: log }), stateDir, stateStore };
      const half = records.length / 2;
      await produce(log, 'clicks', records.slice(0, half));

      const first = build('rs');
      await first.start(options);
      const deadline = Date.now() + 10_000;
      while (first.tasks.reduce((a, t) => a + t.metrics.recordsIn, 0) < 2 * half && Date.now() < deadline) await sleep(20);
      const before = snapshot(first.tasks);
      assert.ok(before.size > 0, 'some windows are open (state to restore)');
      await first.close();

      // A clean restart: on-disk stores trust their checkpoint and read only the (empty) tail;
      // in-memory stores are rebuilt from the whole changelog.
      const again = build('rs');
      await again.start(options);
      assert.deepEqual(snapshot(again.tasks), before);
      const againSummary = (await again.close())!;
      if (stateStore === 'lmdb') assert.equal(againSummary.restoredRecords, 0, 'tail restore: nothing to read');
      else assert.ok(againSummary.restoredRecords > 0);

      if (stateStore === 'lmdb') assert.ok(existsSync(join(stateDir, 'rs', '1_0', '.checkpoint')), 'a local checkpoint per task');
      rmSync(stateDir, { recursive: true, force: true });

      // Restart without local state: the stores are rebuilt from their changelogs before anything is processed.
      const second = build('rs');
      await second.start(options);
      assert.deepEqual(snapshot(second.tasks), before, 'restored stores equal the stopped ones');
      const s2 = (await second.close())!;
      assert.ok(s2.restoredRecords >= before.size, `restored ${s2.restoredRecords} records for ${before.size} entries`);

      await produce(log, 'clicks', records.slice(half));
      await build('rs').run({ ...options, until: 'end' });
      const got = results(log);
      assert.equal(got.n, ref.results.size);
      assert.deepEqual(got.map, ref.results);
    } finally {
      await log.close();
      cleanup();
    }
  });
}

/**
 * Every changelogged store entry of every task, as "task/store/key(hex)" -> value(hex). A window
 * store's time index (keys under TIME_INDEX_PREFIX) is derived from its windows and rebuilt when
 * the operator opens, not restored: test/engine/window-timer-index.test.ts checks that rebuild.
 */
function snapshot(tasks: readonly import('../../../src/index.js').Task[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of tasks) {
    for (const s of t.stores) {
      const store = (t as unknown as { store(n: string): import('../../../src/index.js').KeyValueStore | undefined }).store(s.name);
      if (!store) continue;
      for (const e of store.all()) {
        if (e.key.subarray(0, TIME_INDEX_PREFIX.length).equals(TIME_INDEX_PREFIX)) continue;
        out.set(`${t.id}/${s.name}/${e.key.toString('hex')}`, e.value.toString('hex'));
      }
    }
  }
  return out;
}

test('zombie: an instance paused mid-transaction while a replacement starts is fenced, and commits nothing', async () => {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    await log.createTopic('clicks', { partitions: PARTITIONS });
    const { records } = generate(6_000, 5);
    await produce(log, 'clicks', records, 50);
    const ref = timeWindowReference(eventsOf(records), REF_OPTS, count);
    const options = {
      log: embedded({ manager: log }),
      stateDir: join(dir, 'state'),
      commitIntervalMs: 5,
      fetchMaxBytes: 8 * 1024,
      // Appends inside the transaction early: the zombie holds an open transaction with data.
      maxBufferedBytes: 512,
    };
    let commits = 0;
    let release!: () => void;
    let paused!: () => void;
    const pausedAt = new Promise<void>((r) => (paused = r));
    const zombie = build('zz');
    const zombieResult = zombie
      .run({
        ...options,
        until: 'end',
        beforeCommit: async () => {
          if (++commits !== 3) return;
          paused();
          await new Promise<void>((r) => (release = r)); // "SIGSTOP"
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    await Promise.race([pausedAt, zombieResult.then(() => assert.fail('the zombie finished before it was paused'))]);
    const open = log.listTopics().some((t) => log.describeTopic(t).partitions.some((p) => p.lastStableOffset < p.highWatermark));
    assert.ok(open, 'the zombie has an open transaction with data');
    const committedBefore = readTopic(log, 'counts').length;

    // The replacement (same application id and instance) fences the zombie and does all the work.
    // It does not wait for the zombie's transaction to time out (60 s): starting aborted it.
    const replacement = await build('zz').run({ ...options, until: 'end' });
    assert.ok(replacement.commits > 0);
    assert.ok(replacement.durationMs < 20_000, `the replacement was not blocked by the zombie (${replacement.durationMs} ms)`);

    release(); // "SIGCONT"
    const error = await zombieResult;
    assert.ok(error instanceof ProducerFencedError, `the zombie is fenced: ${String(error)}`);
    await sleep(50);
    const got = results(log);
    assert.ok(got.n >= committedBefore);
    assert.equal(got.n, ref.results.size, 'nothing duplicated by the zombie');
    assert.deepEqual(got.map, ref.results);
    assert.equal(readTopic(log, 'zz-dlq').length, ref.late.length);
    // Its outputs appended early (and, with localRepartition off, its repartition records) were in the aborted transaction.
    const written = ['counts', ...log.listTopics().filter((t) => t.startsWith('zz-') && t.endsWith('-repartition'))];
    assert.ok(written.some((t) => readTopic(log, t, 'read_uncommitted').length > readTopic(log, t).length), 'the zombie’s open transaction was aborted');
  } finally {
    await log.close();
    cleanup();
  }
});
