// The runtime's rollback (poison.ts) on the embedded log, exactly-once: an aggregator and a
// processor that change their cached state in place and then throw on some records. The run rolls
// back to its last commit (aborting the transaction) and replays; what is committed is the result
// of the good records only — every key's updates count 1, 2, ... n with no gap or repeat — and
// each bad record is in the dead-letter topic once per operator it failed in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Processor, StreamsApp, embedded, json, string, type ProcessorContext, type ProcessorRecord, type ValueState } from '../../../src/index.js';
import { openLog, produce, readTopic, tempDir } from './helpers.js';

interface Ev {
  user: string;
  n: number;
  bad?: boolean;
}

interface Acc {
  count: number;
  sum: number;
}

class Totals extends Processor<string, Ev, string, Acc> {
  private total!: ValueState<Acc>;
  override init(ctx: ProcessorContext<string, string, Acc>): void {
    super.init(ctx);
    this.total = ctx.state.value<Acc>('total');
  }
  process(r: ProcessorRecord<string, Ev>): void {
    const t = this.total.get() ?? { count: 0, sum: 0 };
    t.count++;
    t.sum += r.value.n;
    if (r.value.bad) throw new Error(`bad ${r.value.n}`);
    this.total.set(t);
    this.ctx.forward(r.key, { ...t });
  }
}

function build(id: string): StreamsApp {
  const app = new StreamsApp({ applicationId: id });
  const events = app.stream('events', { key: string(), value: json<Ev>() });
  events
    .keyBy((e) => e.user, { key: string() })
    .aggregate(
      () => ({ count: 0, sum: 0 }),
      (acc: Acc, e: Ev) => {
        acc.count++;
        acc.sum += e.n;
        if (e.bad) throw new Error(`bad ${e.n}`);
        return acc;
      },
      { name: 'agg' },
    )
    .toStream()
    .to('totals', { value: json<Acc>() });
  events.process(() => new Totals(), { name: 'proc' }).to('proc-totals', { value: json<Acc>() });
  return app;
}

const N = 3_000;
const USERS = 12;
const isBad = (i: number) => i % 211 === 17;

for (const localRepartition of [false, true]) {
  test(`exactly-once, repartition ${localRepartition ? 'in memory' : 'through the log'}: committed updates are those of the good records only; bad records dead-lettered once per operator`, async () => {
    const { dir, cleanup } = tempDir('tributary-poison-');
    const log = await openLog(dir);
    try {
      await log.createTopic('events', { partitions: 2 });
      const evs: Ev[] = Array.from({ length: N }, (_, i) => ({ user: `u${(i * 7) % USERS}`, n: i, ...(isBad(i) ? { bad: true } : {}) }));
      // The source key spreads users over both partitions; keyBy brings each user's records together.
      await produce(
        log,
        'events',
        evs.map((e, i) => ({ key: `s${i % 5}`, value: JSON.stringify(e), timestamp: 1_000 + i })),
        97,
      );
      const app = build('poison');
      const summary = await app.run({ until: 'end', log: embedded({ manager: log }), stateDir: join(dir, 'state'), commitIntervalMs: 20, localRepartition });
      assert.ok(app.activeRuntime!.rollbacks > 0, 'the run rolled back');

      const good = evs.filter((e) => !e.bad);
      const bad = evs.filter((e) => e.bad).map((e) => e.n);
      // Keyed aggregate: per user, counts 1..n in order and the final sum of its good records.
      const byUser = new Map<string, Acc[]>();
      for (const r of readTopic(log, 'totals')) {
        const list = byUser.get(r.key!.toString()) ?? [];
        list.push(JSON.parse(r.value!.toString()) as Acc);
        byUser.set(r.key!.toString(), list);
      }
      for (let u = 0; u < USERS; u++) {
        const mine = good.filter((e) => e.user === `u${u}`);
        const got = byUser.get(`u${u}`) ?? [];
        assert.deepEqual(
          got.map((a) => a.count),
          mine.map((_, i) => i + 1),
          `u${u}: one update per good record, none repeated, none half-applied`,
        );
        assert.equal(got.at(-1)!.sum, mine.reduce((s, e) => s + e.n, 0));
      }
      // process(): per source key (its partition's order), the same.
      const bySource = new Map<string, Acc[]>();
      for (const r of readTopic(log, 'proc-totals')) {
        const list = bySource.get(r.key!.toString()) ?? [];
        list.push(JSON.parse(r.value!.toString()) as Acc);
        bySource.set(r.key!.toString(), list);
      }
      for (let s = 0; s < 5; s++) {
        const mine = evs.filter((e, i) => i % 5 === s && !e.bad);
        assert.deepEqual(
          (bySource.get(`s${s}`) ?? []).map((a) => `${a.count}:${a.sum}`),
          mine.map((_, i) => `${i + 1}:${mine.slice(0, i + 1).reduce((x, e) => x + e.n, 0)}`),
          `s${s}`,
        );
      }
      // The dead-letter topic: each bad record once per operator, with the error it threw.
      const dlq = readTopic(log, 'poison-dlq');
      for (const op of ['agg', 'proc']) {
        const mine = dlq.filter((r) => r.headers.find((h) => h.key === 'tributary.error.operator')?.value?.toString() === op);
        assert.deepEqual(mine.map((r) => (JSON.parse(r.value!.toString()) as Ev).n).sort((a, b) => a - b), bad, op);
        for (const r of mine) {
          const n = (JSON.parse(r.value!.toString()) as Ev).n;
          assert.equal(r.headers.find((h) => h.key === 'tributary.error.message')?.value?.toString(), `bad ${n}`);
        }
      }
      assert.equal(summary.deadLettered, 2 * bad.length);
    } finally {
      await log.close();
      cleanup();
    }
  });
}
