// Issue 5's scale-out flake (too many records judged late after a rebalance): a process that
// missed a generation must not keep its tasks. Instance a runs alone; then it is cut off from the
// group and its input (its requests held by a proxy: a network partition) while b joins: a's
// session expires, b takes both partitions and processes more input. When a is reachable again it
// finds it was removed, has nothing of its own to commit, rejoins, and is given one of its old
// partitions back (b claims both from the newer generation, gives one up for balance, and a says
// it is warm for it). Its tasks for that partition still hold the state and input position of the
// generation it was cut off in, while b has moved the partition on: kept, they processed b's
// records a second time — the duplicates were judged late against b's watermark markers, and the
// group's committed offset went back. Now a process keeps its tasks across a rebalance only if the
// new generation directly follows the one it ran them in; otherwise it restores them from the
// changelogs at the group's committed offsets. The Fetch a sent before it was cut off is held until
// it has its new assignment, so its answer arrives after the rebalance (a fetch that outlives its
// assignment). The late records and window counts must equal the reference's. `tributary broker`
// only: the proxy must be the address the broker advertises.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafka, string, windowed, type StreamsApp as App } from '../../../src/index.js';
import { ApiKeys } from '../../../src/protocol/api-keys.js';
import { timeWindowReference, windowKey } from '../../engine/reference.js';
import { REF_OPTS, generate, type Click } from '../../engine/runtime/clicks.js';
import { tempDir } from '../../engine/runtime/helpers.js';
import { brokerBehindProxy } from './kafka-proxy.js';
import { open, produceVia, readVia } from './logs.js';
import { clickCountsApp, committedUpTo, eventsOf } from './scale-out-support.js';

const PARTITIONS = 2;

describe('scale-out on tributary broker: a process that missed a generation', () => {
  const broker = brokerBehindProxy('tributary-kmissed-');
  const proxy = broker.proxy;

  test('gets its old partition back without its old state: late records and window counts equal the reference', { timeout: 300_000 }, async () => {
    const { admin } = await open(broker.bootstrap);
    const { dir: stateDir, cleanup } = tempDir();
    const app = 'mg';
    const running = new Map<string, App>();
    const rebalancesOf = new Map<string, number[][]>();
    const start = async (instance: string) => {
      const a = clickCountsApp(app);
      rebalancesOf.set(instance, []);
      await a.start({
        // The client id tells the proxy whose requests these are.
        log: kafka({ brokers: broker.bootstrap, clientId: instance }),
        stateDir: join(stateDir, instance),
        instanceId: instance,
        scaleOut: true,
        sessionTimeoutMs: 6_000,
        commitIntervalMs: 30,
        onRebalance: (info) => rebalancesOf.get(instance)!.push(info.partitions as number[]),
        onError: (e) => process.stderr.write(`instance ${instance} failed: ${String(e)}\n`),
      });
      running.set(instance, a);
    };
    const settle = async (what: string) => {
      const until = Date.now() + 120_000;
      while (!(await committedUpTo(admin, app, `${app}-in`, PARTITIONS)) && Date.now() < until) await sleep(100);
      assert.ok(await committedUpTo(admin, app, `${app}-in`, PARTITIONS), what);
    };
    const waitFor = async (what: string, ok: () => boolean) => {
      const until = Date.now() + 120_000;
      while (!ok() && Date.now() < until) await sleep(50);
      assert.ok(ok(), what);
    };
    try {
      await admin.createTopics([`${app}-in`, `${app}-out`, `${app}-late`, `${app}-dlq`].map((name) => ({ name, partitions: PARTITIONS, config: { 'retention.ms': -1 } })));
      const { records } = generate(1_500, 7);
      const ref = timeWindowReference(eventsOf(records, PARTITIONS), REF_OPTS, (acc) => (acc ?? 0) + 1);
      const slice = (i: number) => records.slice(Math.floor((i * records.length) / 3), Math.floor(((i + 1) * records.length) / 3));

      await produceVia(admin, `${app}-in`, slice(0));
      await start('a');
      await settle('a alone processed the first third');

      // a is cut off from the group and its input (its producer is not: a pause longer than the
      // transaction timeout fences a producer caught inside a transaction, which ends the process);
      // b joins, and once a's session expired, gets both partitions and processes the second third.
      const cutOff = new Set<number>([ApiKeys.Heartbeat, ApiKeys.JoinGroup, ApiKeys.SyncGroup, ApiKeys.Fetch]);
      proxy.setHooks({ hold: (r) => r.clientId === 'a' && cutOff.has(r.apiKey) });
      await start('b');
      await produceVia(admin, `${app}-in`, slice(1));
      await settle('b processed the second third while a was cut off');
      assert.deepEqual(running.get('b')!.tasks.map((t) => t.partition).sort(), [0, 0, 1, 1], 'b runs both partitions');

      // a is reachable again, except its Fetch requests until its rejoin reached SyncGroup.
      proxy.setHooks({
        forwarded: (r) => {
          if (r.clientId === 'a' && r.apiKey === ApiKeys.SyncGroup) proxy.setHooks({ hold: () => false });
        },
        hold: (r) => r.clientId === 'a' && r.apiKey === ApiKeys.Fetch,
      });
      await waitFor('a rejoined and was given a partition', () => rebalancesOf.get('a')!.some((p) => p.length > 0));
      await waitFor('b gave a partition up', () => (rebalancesOf.get('b')!.at(-1)?.length ?? 0) === 1);

      await produceVia(admin, `${app}-in`, slice(2));
      await settle('a and b processed the rest');
      for (const i of [...running.keys()]) {
        await running.get(i)!.close();
        running.delete(i);
      }
      await clickCountsApp(app).run({ log: kafka({ brokers: broker.bootstrap }), stateDir: join(stateDir, 'fin'), instanceId: 'fin', until: 'end' });

      const late = (await readVia(admin, `${app}-late`)).map((r) => (JSON.parse(r.value!.toString()) as Click).ts).sort((x, y) => x - y);
      const kd = windowed(string());
      const counts = new Map<string, number>();
      let emitted = 0;
      for (const r of await readVia(admin, `${app}-out`)) {
        const w = kd.deserialize(r.key!);
        counts.set(windowKey(w.key, w.start), JSON.parse(r.value!.toString()) as number);
        emitted++;
      }
      assert.deepEqual(late, ref.late.map((e) => e.ts).sort((x, y) => x - y), "the records judged late are the reference's (none judged twice)");
      assert.deepEqual(counts, ref.results);
      assert.equal(emitted, ref.results.size, 'each window emitted once');
    } finally {
      for (const a of running.values()) await a.close().catch(() => {});
      await admin.close();
      cleanup();
    }
  });
});
