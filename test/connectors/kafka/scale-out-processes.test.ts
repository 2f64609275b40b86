// Scale-out across processes: 3 processes of one application over a 12-partition topic through
// the consumer group of Kafka or of `tributary broker`; one is SIGKILLed, later one is added; one
// is SIGSTOPped until the group has moved on (a zombie) and then SIGCONTed: it is fenced (its
// commit refused or its producer fenced) and commits nothing. A last bounded run emits the final
// windows; the committed output equals the reference computed from the input.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnFixture, type FixtureProcess } from '../../support/fixture-process.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { string, windowed, type Log } from '../../../src/index.js';
import { timeWindowReference, windowKey } from '../../engine/reference.js';
import { REF_OPTS, build, generate } from '../../engine/runtime/clicks.js';
import { tempDir } from '../../engine/runtime/helpers.js';
import { APP, INPUT, OUTPUT } from './fixtures/scale-app.js';
import { open, produceVia, readVia, targets } from './logs.js';
import { eventsOf } from './scale-out-support.js';

const PARTITIONS = 12;
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'scale-app.ts');

type Proc = FixtureProcess;

function launch(bootstrap: string, stateDir: string, instance: string): Proc {
  return spawnFixture(FIXTURE, [bootstrap, join(stateDir, instance), instance], { mergeStderr: true, reportFailure: false });
}

async function caughtUp(admin: Log): Promise<boolean> {
  const tps = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: INPUT, partition }));
  const [c, e] = await Promise.all([admin.committedOffsets(APP, tps), admin.endOffsets(tps)]);
  return c.every((o, i) => o >= e[i]!);
}

async function waitCaughtUp(admin: Log, what: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (!(await caughtUp(admin)) && Date.now() < deadline) await sleep(250);
  assert.ok(await caughtUp(admin), what);
}

function rebalances(p: Proc): Array<{ durationMs: number; restoreMs: number; restoredRecords: number; partitions: number[] }> {
  return p
    .out()
    .split('\n')
    .filter((l) => l.startsWith('REBALANCE '))
    .map((l) => JSON.parse(l.slice('REBALANCE '.length)));
}

// Both targets. tributary broker refuses a zombie's TxnOffsetCommit of a stale generation
// (test/broker/txn-offset-commit-fencing.test.ts); one earlier run here found 50 duplicated windows
// and has not been reproduced since.
for (const target of targets()) {
  describe(`scale-out across processes on ${target.name === 'kafka' ? 'a real Kafka cluster' : 'tributary broker'}`, { skip: target.skip }, () => {
    after(() => target.stop());

    test('3 processes over 12 partitions; one SIGKILLed, one added, one a SIGSTOPped zombie: fenced, and the output equals the reference', { timeout: 900_000 }, async () => {
      const bootstrap = await target.start();
      const { connector, admin } = await open(bootstrap);
      const { dir, cleanup } = tempDir('tributary-scale-');
      const procs = new Map<string, Proc>();
      const launched: Proc[] = [];
      const start = (i: string) => {
        const p = launch(bootstrap, dir, i);
        procs.set(i, p);
        launched.push(p);
      };
      try {
        const keep = { 'retention.ms': -1 };
        await admin.createTopics([INPUT, OUTPUT, `${APP}-dlq`].map((name) => ({ name, partitions: PARTITIONS, config: keep })));
        const { records } = generate(8_000, 21);
        const ref = timeWindowReference(eventsOf(records, PARTITIONS), REF_OPTS, (acc: number | undefined) => (acc ?? 0) + 1);
        const quarter = Math.ceil(records.length / 4);
        await produceVia(admin, INPUT, records.slice(0, quarter));
        for (const i of ['a', 'b', 'c']) start(i);
        for (const [i, p] of procs) assert.ok(await p.ready, `process ${i} started: ${p.out()}`);
        await waitCaughtUp(admin, 'three processes processed the first quarter');

        const t0 = Date.now();
        procs.get('b')!.child.kill('SIGKILL');
        assert.equal(await procs.get('b')!.exit, null);
        procs.delete('b');
        await produceVia(admin, INPUT, records.slice(quarter, 2 * quarter));
        await waitCaughtUp(admin, 'the two left took over the killed one');
        const takeover = Date.now() - t0;

        // The zombie: c stopped until the group has moved on without it.
        const zombie = procs.get('c')!;
        zombie.child.kill('SIGSTOP');
        await produceVia(admin, INPUT, records.slice(2 * quarter, 3 * quarter));
        await waitCaughtUp(admin, 'a took over the stopped one');
        start('d');
        assert.ok(await procs.get('d')!.ready, `process d started: ${procs.get('d')!.out()}`);
        zombie.child.kill('SIGCONT');
        await produceVia(admin, INPUT, records.slice(3 * quarter));
        await waitCaughtUp(admin, 'the last quarter processed with d in the group');
        await sleep(2_000);
        const zombieOut = zombie.out();
        assert.ok(
          /FAILED ProducerFencedError/.test(zombieOut) || rebalances(zombie).length > 0,
          `the zombie was fenced (its producer, or its generation: it had to rejoin): ${zombieOut.slice(-500)}`,
        );
        for (const [, p] of procs) p.child.kill('SIGTERM');
        for (const [, p] of procs) await p.exit;
        procs.clear();

        await build(APP, { input: INPUT, output: OUTPUT }, { idleTimeout: '1h' }).run({ log: connector, stateDir: join(dir, 'fin'), instanceId: 'fin', until: 'end' });
        const kd = windowed(string());
        const map = new Map<string, number>();
        const out = await readVia(admin, OUTPUT);
        const emitted = new Map<string, number[]>();
        for (const r of out) {
          const w = kd.deserialize(r.key!);
          const k = windowKey(w.key, w.start);
          const value = JSON.parse(r.value!.toString()) as number;
          map.set(k, value);
          emitted.set(k, [...(emitted.get(k) ?? []), value]);
        }
        // On a mismatch, say which kind it is ("N !== M" below is N results for M windows).
        if (out.length !== ref.results.size || [...map].some(([k, v]) => ref.results.get(k) !== v)) {
          process.stderr.write(
            `scale-out across processes on ${target.name}: emitted twice ${JSON.stringify([...emitted].filter(([, e]) => e.length > 1))}; ` +
              `not in the reference ${JSON.stringify([...map.keys()].filter((k) => !ref.results.has(k)))}; ` +
              `other value ${JSON.stringify([...map].filter(([k, v]) => ref.results.has(k) && ref.results.get(k) !== v).map(([k, v]) => [k, v, ref.results.get(k)]))}; ` +
              `missing ${JSON.stringify([...ref.results.keys()].filter((k) => !map.has(k)))}; ` +
              `late records in ${APP}-dlq ${(await readVia(admin, `${APP}-dlq`)).length}, in the reference ${ref.late.length}\n`,
          );
        }
        const all = launched.flatMap(rebalances);
        process.stderr.write(
          `scale-out across processes on ${target.name}: takeover after SIGKILL ${takeover} ms (session timeout 6 s); ` +
            `zombie ${/FAILED ProducerFencedError/.test(zombieOut) ? 'fenced by its producer epoch' : 'fenced out of its generation and rejoined'}; ` +
            `${all.length} rebalances in the processes, ${Math.min(...all.map((r) => r.durationMs))}-${Math.max(...all.map((r) => r.durationMs))} ms; ` +
            `restores of moved tasks: ${all.filter((r) => r.restoredRecords > 0).map((r) => `${r.restoredRecords} records in ${r.restoreMs} ms`).join(', ') || 'none'}\n`,
        );
        assert.equal(out.length, ref.results.size, 'one result per window: nothing lost or duplicated');
        assert.deepEqual(map, ref.results);
      } finally {
        for (const [, p] of procs) p.child.kill('SIGKILL');
        await admin.close();
        cleanup();
      }
    });
  });
}
