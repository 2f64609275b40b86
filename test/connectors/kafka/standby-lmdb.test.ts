// Standby replicas with on-disk (LMDB) stores, two instances of one application in this process
// on `tributary broker`: the standby's state is checkpointed on disk like an active task's; when
// one instance leaves, the other takes its tasks over from that state and restores only the
// changelog tail; when it comes back with its state directory, the tasks it gets are restored
// from its checkpoints (its own old tasks or its old standbys: it is warm for every partition).
// The committed counts equal the reference.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log, RebalanceInfo, StreamsApp } from '../../../src/index.js';
import { readCheckpoint, taskStateDir } from '../../../src/state/local-checkpoint.js';
import { tempDir } from '../../engine/runtime/helpers.js';
import { build, topicsOf } from './fixtures/standby-app.js';
import { KEYS, checkCounts, generateKeyed } from './counts.js';
import { brokerTarget, open, produceVia, readVia } from './logs.js';

const PARTITIONS = 4;
const APP = 'sbl';
const target = brokerTarget();
after(() => target.stop());

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out: ${what}`);
    await sleep(100);
  }
}

async function caughtUp(admin: Log): Promise<boolean> {
  const tps = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: topicsOf(APP).input, partition }));
  const [c, e] = await Promise.all([admin.committedOffsets(APP, tps), admin.endOffsets(tps)]);
  return c.every((o, i) => o >= e[i]!);
}

const partitionsOf = (app: StreamsApp) => [...new Set(app.tasks.map((t) => t.partition))].sort((a, b) => a - b);

test('lmdb standbys: checkpointed on disk, a leaver’s tasks restore only the tail, so does a returning instance', { timeout: 600_000 }, async () => {
  const { connector, admin } = await open(await target.start());
  const { dir, cleanup } = tempDir('tributary-standby-lmdb-');
  const rebalances: Array<RebalanceInfo & { instance: string }> = [];
  const apps = new Map<string, StreamsApp>();
  const start = async (instance: string) => {
    const app = build(APP);
    await app.start({
      log: connector,
      stateStore: 'lmdb',
      stateDir: join(dir, instance),
      instanceId: instance,
      scaleOut: true,
      numStandbyReplicas: 1,
      sessionTimeoutMs: 6_000,
      commitIntervalMs: 50,
      onRebalance: (info) => rebalances.push({ ...info, instance }),
    });
    apps.set(instance, app);
    return app;
  };
  try {
    const { input, output } = topicsOf(APP);
    await admin.createTopics([input, output, `${APP}-dlq`].map((name) => ({ name, partitions: PARTITIONS, config: { 'retention.ms': -1 } })));
    const records = generateKeyed(3 * KEYS);
    await produceVia(admin, input, records.slice(0, 2 * KEYS));
    const a = await start('a');
    const b = await start('b');
    await until('a rebalanced with b', () => partitionsOf(a).length === 2);
    await until('the first two thirds processed', () => caughtUp(admin));
    const lagged = async () => (await Promise.all([a, b].map((x) => x.activeRuntime!.standbyLag()))).every((s) => s.lag === 0 && s.partitions.length === 2);
    await until('standbys caught up', lagged);
    const bOwned = partitionsOf(b);
    assert.deepEqual((await a.activeRuntime!.standbyLag()).partitions, bOwned, 'a keeps standbys of b’s partitions');
    // a's standby state is on disk and checkpointed (within a second of applying it).
    await sleep(1_500);
    for (const p of bOwned) {
      const cp = readCheckpoint(taskStateDir(join(dir, 'a'), APP, `0_${p}`));
      assert.ok(cp && Object.values(cp.offsets).some((o) => o > 0), `a checkpointed its standby of ${p}: ${JSON.stringify(cp)}`);
    }

    // b leaves: a takes b's tasks from its standby state.
    const before = rebalances.length;
    await b.close();
    apps.delete('b');
    await until('a took over', () => partitionsOf(a).length === PARTITIONS);
    const takeover = rebalances.slice(before).filter((r) => r.instance === 'a');
    const restored = takeover.reduce((n, r) => n + r.restoredRecords, 0);
    // b's tasks hold about half the keys; a warm standby restores (almost) nothing of them.
    assert.ok(restored < KEYS / 20, `a restored only the tail of b's changelogs: ${restored} records`);
    await produceVia(admin, input, records.slice(2 * KEYS, (5 * KEYS) / 2));
    await until('the next half third processed by a', () => caughtUp(admin));

    // b comes back with its state directory: what it gets, it restores from its checkpoints.
    const b2 = await start('b');
    await until('a rebalanced with b again', () => partitionsOf(a).length === 2);
    const mine = partitionsOf(b2);
    assert.equal(mine.length, 2);
    let full = 0;
    for (const topic of build(APP).topology().changelogTopics) full += (await readVia(admin, topic)).filter((r) => mine.includes(r.partition)).length;
    const tail = b2.activeRuntime!.stats.restored;
    process.stderr.write(`lmdb standbys: a took over b's tasks restoring ${restored} records; b came back restoring ${tail} of the ${full} changelog records of its partitions\n`);
    assert.ok(tail * 2 < full, `b restored ${tail} of the ${full} changelog records of its partitions`);
    await produceVia(admin, input, records.slice((5 * KEYS) / 2));
    await until('everything processed', () => caughtUp(admin));
    for (const x of apps.values()) await x.close();
    apps.clear();
    await checkCounts(admin, APP, records);
  } finally {
    for (const x of apps.values()) await x.close().catch(() => {});
    await admin.close();
    cleanup();
  }
});
