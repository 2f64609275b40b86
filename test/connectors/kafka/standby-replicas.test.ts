// Sticky assignment and standby replicas across processes (Kafka Streams' num.standby.replicas),
// on `tributary broker` and on a real Kafka cluster: 3 processes of one application (a count per
// key over 3,000 keys) over a 6-partition topic, one SIGKILLed. Without standbys the survivors
// restore the dead one's tasks from the start of their changelogs; with one standby replica they
// were already warm and read only the tail (counted by onRebalance's restoredRecords — counts, not
// timings). A fourth process joining afterwards takes only its share: no partition moves between
// the processes that stay. In both runs the output equals the reference: per key, the committed
// counts rise one by one or more (coalesced per commit), never repeat, and end at the key's count.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../../../src/index.js';
import { tempDir } from '../../engine/runtime/helpers.js';
import { spawnFixture, type FixtureProcess } from '../../support/fixture-process.js';
import { topicsOf } from './fixtures/standby-app.js';
import { checkCounts, generateKeyed } from './counts.js';
import { open, produceVia, targets, type In } from './logs.js';

const PARTITIONS = 6;
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'standby-app.ts');

interface Rebalance {
  generationId: number;
  partitions: number[];
  standbyPartitions: number[];
  restoredRecords: number;
  restoreMs: number;
  durationMs: number;
}

function lines<T>(p: FixtureProcess, prefix: string): T[] {
  return p
    .out()
    .split('\n')
    .filter((l) => l.startsWith(prefix + ' '))
    .map((l) => JSON.parse(l.slice(prefix.length + 1)) as T);
}
const rebalances = (p: FixtureProcess) => lines<Rebalance>(p, 'REBALANCE');

async function until(what: string, check: () => Promise<boolean> | boolean, ms = 180_000, detail = (): string => ''): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out: ${what} ${detail()}`);
    await sleep(200);
  }
}

async function caughtUp(admin: Log, app: string): Promise<boolean> {
  const tps = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: topicsOf(app).input, partition }));
  const [c, e] = await Promise.all([admin.committedOffsets(app, tps), admin.endOffsets(tps)]);
  return c.every((o, i) => o >= e[i]!);
}

/** The partitions a process runs now: its last rebalance's, or (no rebalance yet) none known. */
const current = (p: FixtureProcess) => rebalances(p).at(-1);

interface Outcome {
  /** Changelog records the survivors read to restore the killed process's tasks. */
  restoredAfterKill: number;
  rebalancesAfterKill: Rebalance[];
}

async function scenario(bootstrap: string, admin: Log, dir: string, app: string, standbys: number, records: readonly In[]): Promise<Outcome> {
  const { input, output } = topicsOf(app);
  const procs = new Map<string, FixtureProcess>();
  const start = (i: string) => {
    const p = spawnFixture(FIXTURE, [bootstrap, app, join(dir, app, i), i, String(standbys), 'memory'], { mergeStderr: true, reportFailure: false });
    procs.set(i, p);
    return p;
  };
  try {
    await admin.createTopics([input, output, `${app}-dlq`].map((name) => ({ name, partitions: PARTITIONS, config: { 'retention.ms': -1 } })));
    const half = Math.ceil(records.length / 2);
    await produceVia(admin, input, records.slice(0, half));
    for (const i of ['a', 'b', 'c']) {
      const p = start(i);
      assert.ok(await p.ready, `process ${i} started: ${p.out()}`);
    }
    // The group settled with all three: every process got 2 partitions (the last one to join has
    // no rebalance line: its first join was the last rebalance).
    await until('3 processes share the partitions', () => ['a', 'b'].every((i) => current(procs.get(i)!)?.partitions.length === 2));
    await until('the first half processed', () => caughtUp(admin, app));
    if (standbys > 0) {
      // Every process keeps standbys of 2 partitions and has applied every committed changelog record.
      const mark = new Map([...procs].map(([i, p]) => [i, lines(p, 'STANDBY').length]));
      await until('standbys caught up', () =>
        [...procs].every(([i, p]) => {
          const s = lines<{ partitions: number[]; lag: number }>(p, 'STANDBY').slice(mark.get(i)!);
          return s.length > 1 && s.at(-1)!.lag === 0 && s.at(-1)!.partitions.length === 2;
        }),
        180_000,
        () => [...procs].map(([i, p]) => `${i}: ${p.out().split('\n').filter((l) => !l.startsWith('STANDBY')).slice(-8).join('\n')}\n${lines(p, 'STANDBY').slice(-2).map((x) => JSON.stringify(x)).join(' ')}`).join('\n'),
      );
    }

    const b = procs.get('b')!;
    const before = new Map(['a', 'c'].map((i) => [i, rebalances(procs.get(i)!).length]));
    const aOwned = current(procs.get('a')!)!.partitions;
    const bOwned = current(b)!.partitions;
    // c joined last: its first join was the last rebalance, so it has the rest.
    const owned = new Map([['a', aOwned], ['c', [0, 1, 2, 3, 4, 5].filter((p) => !aOwned.includes(p) && !bOwned.includes(p))]]);
    b.child.kill('SIGKILL');
    await b.exit;
    procs.delete('b');
    await until('a and c took over b’s partitions', () => ['a', 'c'].every((i) => rebalances(procs.get(i)!).length > before.get(i)! && current(procs.get(i)!)!.partitions.length === 3));
    const after = ['a', 'c'].flatMap((i) => rebalances(procs.get(i)!).slice(before.get(i)!));
    // Sticky: the survivors kept their partitions and split b's.
    for (const i of ['a', 'c']) for (const p of owned.get(i)!) assert.ok(current(procs.get(i)!)!.partitions.includes(p), `${i} kept ${p}`);
    assert.deepEqual([...current(procs.get('a')!)!.partitions, ...current(procs.get('c')!)!.partitions].sort(), [0, 1, 2, 3, 4, 5]);
    assert.equal(bOwned.length, 2);
    await produceVia(admin, input, records.slice(half));
    await until('the second half processed by a and c', () => caughtUp(admin, app));

    // A fourth process joins: only the partitions balance needs move, all to it.
    const held = new Map(['a', 'c'].map((i) => [i, current(procs.get(i)!)!.partitions]));
    const mark = new Map(['a', 'c'].map((i) => [i, rebalances(procs.get(i)!).length]));
    const d = start('d');
    assert.ok(await d.ready, `process d started: ${d.out()}`);
    await until('a and c rebalanced with d', () => ['a', 'c'].every((i) => rebalances(procs.get(i)!).length > mark.get(i)! && current(procs.get(i)!)!.partitions.length === 2));
    const kept = ['a', 'c'].flatMap((i) => current(procs.get(i)!)!.partitions);
    for (const i of ['a', 'c']) for (const p of current(procs.get(i)!)!.partitions) assert.ok(held.get(i)!.includes(p), `${i} got ${p}, which it did not have: only moves to d`);
    assert.equal(kept.length, 4, 'd took 2 of 6 partitions, the others kept 4');
    await until('caught up with d', () => caughtUp(admin, app));

    for (const [, p] of procs) p.child.kill('SIGTERM');
    for (const [, p] of procs) await p.exit;
    procs.clear();
    return { restoredAfterKill: after.reduce((n, r) => n + r.restoredRecords, 0), rebalancesAfterKill: after };
  } finally {
    for (const [, p] of procs) p.child.kill('SIGKILL');
  }
}

for (const target of targets()) {
  describe(`standby replicas across processes on ${target.name === 'kafka' ? 'a real Kafka cluster' : 'tributary broker'}`, { skip: target.skip }, () => {
    after(() => target.stop());

    test('a killed process: with a standby replica the survivors restore far fewer changelog records; a join moves only d’s share; output equals the reference', { timeout: 900_000 }, async () => {
      const bootstrap = await target.start();
      const { admin } = await open(bootstrap);
      const { dir, cleanup } = tempDir('tributary-standby-');
      try {
        const records = generateKeyed(9_000);
        const cold = await scenario(bootstrap, admin, dir, `sb0-${target.name}`, 0, records);
        const warm = await scenario(bootstrap, admin, dir, `sb1-${target.name}`, 1, records);
        process.stderr.write(
          `standby replicas on ${target.name}: after the kill the survivors restored ${cold.restoredAfterKill} changelog records without standbys, ` +
            `${warm.restoredAfterKill} with one (restore ${cold.rebalancesAfterKill.map((r) => r.restoreMs).join('+')} ms vs ${warm.rebalancesAfterKill.map((r) => r.restoreMs).join('+')} ms)\n`,
        );
        await checkCounts(admin, `sb0-${target.name}`, records);
        await checkCounts(admin, `sb1-${target.name}`, records);
        assert.ok(cold.restoredAfterKill >= 500, `without standbys the moved tasks restore their whole changelogs (${cold.restoredAfterKill})`);
        assert.ok(warm.restoredAfterKill * 10 <= cold.restoredAfterKill, `with a standby only the tail: ${warm.restoredAfterKill} vs ${cold.restoredAfterKill}`);
      } finally {
        await admin.close();
        cleanup();
      }
    });
  });
}
