// Scale-out: several instances of one application (same applicationId, distinct instanceIds,
// scaleOut: true) share a 12-partition input through the consumer group of Kafka or of
// `tributary broker`; one leaves while they run, later one joins; tasks move on each rebalance
// (committed, closed, restored from the changelogs elsewhere). A last bounded run emits the final
// windows; the committed output equals the reference computed from the input.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { string, windowed, type RebalanceInfo, type StreamsApp } from '../../../src/index.js';
import { timeWindowReference, windowKey } from '../../engine/reference.js';
import { REF_OPTS, build, generate } from '../../engine/runtime/clicks.js';
import { tempDir } from '../../engine/runtime/helpers.js';
import { open, produceVia, readVia, targets } from './logs.js';
import { committedUpTo, eventsOf } from './scale-out-support.js';

const PARTITIONS = 12;
// The reference has no idleness (inputs that stop holding the watermark back after a wall-clock
// timeout). Under load a phase gap or a migration can leave a source partition without new
// records for longer than the default 30 s: its task then tells the window tasks it is idle, their
// watermark moves on with the other partitions, and its next records are late for the engine but
// on time for the reference (seen here once: lower counts for every window of one phase).
const NO_IDLE = { idleTimeout: '1h' } as const;
const count = (acc: number | undefined) => (acc ?? 0) + 1;

for (const target of targets()) {
  describe(`scale-out on ${target.name === 'kafka' ? 'a real Kafka cluster' : 'tributary broker'}`, { skip: target.skip }, () => {
    after(() => target.stop());

    // Once reported as duplicates after task migration ("247 !== 250" is 247 results for the reference's 250
    // windows: results missing, not duplicated): the results were read before Kafka had written the last
    // transaction's markers. run() now resolves once its outputs are readable (run-outputs-readable.test.ts);
    // moved tasks keep their watermark (scale-out-watermark.test.ts). On a mismatch the test says which windows
    // were emitted twice, are not in the reference, or are missing.
    test('3 instances over 12 partitions, one leaves, one joins: tasks move with their state, output equals the reference', { timeout: 600_000 }, async () => {
      const { connector, admin } = await open(await target.start());
      const { dir, cleanup } = tempDir();
      const rebalances: Array<RebalanceInfo & { instance: string }> = [];
      const running = new Map<string, StreamsApp>();
      const start = async (instance: string) => {
        const app = build('so', { input: 'so-clicks', output: 'so-counts' }, NO_IDLE);
        await app.start({
          log: connector,
          stateDir: join(dir, instance),
          instanceId: instance,
          scaleOut: true,
          sessionTimeoutMs: 6_000,
          commitIntervalMs: 50,
          onRebalance: (info) => rebalances.push({ ...info, instance }),
          onError: (e) => process.stderr.write(`instance ${instance} failed: ${String(e)}\n`),
        });
        running.set(instance, app);
      };
      try {
        const keep = { 'retention.ms': -1 };
        await admin.createTopics(['so-clicks', 'so-counts', 'so-dlq'].map((name) => ({ name, partitions: PARTITIONS, config: keep })));
        const { records } = generate(6_000, 11);
        const ref = timeWindowReference(eventsOf(records, PARTITIONS), REF_OPTS, count);
        const third = Math.ceil(records.length / 3);
        await produceVia(admin, 'so-clicks', records.slice(0, third));
        await Promise.all(['a', 'b', 'c'].map(start));
        const deadline = () => Date.now() + 120_000;
        let until = deadline();
        while (!(await committedUpTo(admin, 'so', 'so-clicks', PARTITIONS)) && Date.now() < until) await sleep(200);
        assert.ok(await committedUpTo(admin, 'so', 'so-clicks', PARTITIONS), 'the three instances processed the first third');
        const owned = (instance: string) => running.get(instance)!.tasks.map((t) => t.partition);
        const spread = ['a', 'b', 'c'].map((i) => new Set(owned(i)).size);
        assert.deepEqual(spread, [4, 4, 4], `12 partitions shared 4/4/4 (${spread})`);

        await running.get('b')!.close();
        running.delete('b');
        await produceVia(admin, 'so-clicks', records.slice(third, 2 * third));
        until = deadline();
        while (!(await committedUpTo(admin, 'so', 'so-clicks', PARTITIONS)) && Date.now() < until) await sleep(200);
        assert.ok(await committedUpTo(admin, 'so', 'so-clicks', PARTITIONS), 'the two left processed the second third');
        assert.equal(new Set([...owned('a'), ...owned('c')]).size, PARTITIONS, "b's partitions moved to a and c");

        await start('d');
        await produceVia(admin, 'so-clicks', records.slice(2 * third));
        until = deadline();
        while (!(await committedUpTo(admin, 'so', 'so-clicks', PARTITIONS)) && Date.now() < until) await sleep(200);
        assert.ok(await committedUpTo(admin, 'so', 'so-clicks', PARTITIONS), 'the three processed the rest');
        assert.ok(owned('d').length > 0, 'the new instance got partitions');
        for (const app of running.values()) await app.close();
        running.clear();

        // The last windows close at the end of input: a bounded run (one process) ends them.
        await build('so', { input: 'so-clicks', output: 'so-counts' }, NO_IDLE).run({ log: connector, stateDir: join(dir, 'fin'), instanceId: 'fin', until: 'end' });
        const kd = windowed(string());
        const map = new Map<string, number>();
        // run() resolves once its outputs are readable (read_committed): a read at once sees every window.
        const out = await readVia(admin, 'so-counts');
        const emitted = new Map<string, Array<{ value: number; partition: number; offset: number }>>();
        for (const r of out) {
          const w = kd.deserialize(r.key!);
          const k = windowKey(w.key, w.start);
          const value = JSON.parse(r.value!.toString()) as number;
          map.set(k, value);
          emitted.set(k, [...(emitted.get(k) ?? []), { value, partition: r.partition, offset: r.offset }]);
        }
        // On a mismatch, say which kind it is: a window emitted twice, or windows the reference does not have.
        const twice = [...emitted].filter(([, e]) => e.length > 1);
        const extra = [...map.keys()].filter((k) => !ref.results.has(k));
        const wrong = [...map].filter(([k, v]) => ref.results.has(k) && ref.results.get(k) !== v);
        if (twice.length + extra.length + wrong.length > 0 || map.size !== ref.results.size) {
          process.stderr.write(
            `scale-out on ${target.name}: emitted twice ${JSON.stringify(twice)}; not in the reference ${JSON.stringify(extra)}; ` +
              `other value ${JSON.stringify(wrong.map(([k, v]) => [k, v, ref.results.get(k)]))}; missing ${JSON.stringify([...ref.results.keys()].filter((k) => !map.has(k)))}\n` +
              `late records in so-dlq ${(await readVia(admin, 'so-dlq')).length}, in the reference ${ref.late.length}; rebalances ${JSON.stringify(rebalances)}\n`,
          );
        }
        assert.equal(out.length, ref.results.size, 'one result per window: nothing lost or duplicated across rebalances');
        assert.deepEqual(map, ref.results);
        const moved = rebalances.filter((r) => r.restoredRecords > 0);
        process.stderr.write(
          `scale-out on ${target.name}: ${rebalances.length} rebalances seen by the instances; ` +
            `rebalance ${Math.min(...rebalances.map((r) => r.durationMs))}-${Math.max(...rebalances.map((r) => r.durationMs))} ms, ` +
            `restore ${moved.map((r) => `${r.restoredRecords} records in ${r.restoreMs} ms`).join(', ') || 'none'}\n`,
        );
        assert.ok(moved.length > 0, 'moved tasks restored their state from the changelogs');
      } finally {
        for (const app of running.values()) await app.close().catch(() => {});
        await admin.close();
        cleanup();
      }
    });
  });
}
