// Keyed aggregations without windows hold accumulators decoded in a record cache and write each
// changed key to the store once per commit: results, stored state and restores are those of a
// direct computation, also when the cache is bounded and keys go through the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, json, string } from '../../src/index.js';
import type { DriverSnapshot } from '../../src/engine/test-driver.js';
import { decodeState, StoreKeyCodec } from '../../src/engine/codec.js';
import { AggregateOperator } from '../../src/engine/operators/aggregate.js';
import { rng } from '../support/rng.js';
import { CountingStore, countingDriver } from '../support/counting-store.js';

/** Small enough that a few dozen keys fit: most of 2,000 keys must go through the store. */
const BOUND = 8 * 1024;

interface Stats {
  n: number;
  sum: number;
}

function app() {
  const a = new StreamsApp({ applicationId: 'agg-cache' });
  a.stream('in', { key: string(), value: json<number>() })
    .groupByKey()
    // Changes the accumulator in place, as q17's does: the cache must not share it across keys or lose it.
    .aggregate<Stats>(() => ({ n: 0, sum: 0 }), (acc, v) => {
      acc.n++;
      acc.sum += v;
      return acc;
    }, { name: 'stats' })
    .toStream()
    .to('out', { value: json<Stats>() });
  return a;
}

function run(bounded: boolean, stores: CountingStore[], restoreFrom?: DriverSnapshot) {
  return countingDriver(app(), stores, bounded ? BOUND : undefined, restoreFrom);
}

for (const bounded of [false, true]) {
  test(`aggregate over 2,000 keys (${bounded ? 'bounded' : 'unbounded'} cache): every update, the stored state and a restore match a direct computation`, () => {
    const r = rng(5);
    const events = Array.from({ length: 20_000 }, () => ({ key: `k${Math.floor(r() * 2_000)}`, value: Math.floor(r() * 100) }));
    const stores: CountingStore[] = [];
    const driver = run(bounded, stores);
    const expected = new Map<string, Stats>();
    const updates: string[] = [];
    try {
      const input = driver.input('in', { key: string(), value: json<number>() });
      const op = driver.allTasks[0]!.operators.find((o): o is AggregateOperator => o instanceof AggregateOperator)!;
      const store = stores.find((s) => s.name.includes('stats'))!;
      for (let i = 0; i < events.length; i += 1_000) {
        const batch = events.slice(i, i + 1_000);
        const before = store.puts;
        input.pipeAll(batch);
        for (const e of batch) {
          const s = expected.get(e.key) ?? { n: 0, sum: 0 };
          s.n++;
          s.sum += e.value;
          expected.set(e.key, s);
          updates.push(`${e.key}:${s.n}/${s.sum}`);
        }
        assert.equal(op.cache.maxBytes, bounded ? BOUND : Infinity);
        if (bounded) assert.ok(op.cache.bytes <= BOUND, `cache holds ${op.cache.bytes} bytes`);
        // Unbounded: one write per changed key per commit (the driver commits after each pipeAll).
        if (!bounded) assert.equal(store.puts - before, new Set(batch.map((e) => e.key)).size);
      }
      if (bounded) assert.ok(op.cache.evictions > 1_000, `${op.cache.evictions} evictions`);
      const got = driver.output('out', { key: string(), value: json<Stats>() }).readRecords().map((x) => `${x.key}:${x.value!.n}/${x.value!.sum}`);
      assert.deepEqual(got, updates);
      // The store, as a commit leaves it, holds every key's accumulator.
      const codec = new StoreKeyCodec(string());
      const stored = new Map<string, Stats>();
      for (const e of store.all()) stored.set(codec.decode(e.key) as string, decodeState<Stats>(e.value));
      assert.deepEqual(stored, expected);
      // The table's lookups see the cached state.
      for (const k of ['k1', 'k77', 'k1999']) assert.deepEqual(op.get(k), expected.get(k));

      // A restore from the snapshot continues from the stored accumulators.
      const restored = run(bounded, [], driver.snapshot());
      try {
        restored.input('in', { key: string(), value: json<number>() }).pipeAll([{ key: 'k1', value: 1000 }]);
        const last = restored.output('out', { key: string(), value: json<Stats>() }).readRecords().at(-1)!;
        const k1 = expected.get('k1')!;
        assert.deepEqual(last.value, { n: k1.n + 1, sum: k1.sum + 1000 });
      } finally {
        restored.close();
      }
    } finally {
      driver.close();
    }
  });
}
