// A regrouped table's aggregation holds each new key's accumulator decoded and writes it once per
// commit, and the regrouping holds each row's mapping so: one write per changed row per commit; every update, the stored state and a restore are those of a direct computation, with an
// unbounded cache (one write per changed key per commit) and a bounded one (keys go through the store).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, json, string } from '../../src/index.js';
import type { DriverSnapshot } from '../../src/engine/test-driver.js';
import { decodeState, StoreKeyCodec } from '../../src/engine/codec.js';
import { GroupedTableAggregateOperator } from '../../src/engine/operators/grouped-table-aggregate.js';
import { rng } from '../support/rng.js';
import { CountingStore, countingDriver } from '../support/counting-store.js';

interface Row {
  group: string;
  score: number;
}

function app() {
  const a = new StreamsApp({ applicationId: 'grouped-cache' });
  a.table('rows', { key: string(), value: json<Row>() })
    .groupBy((r) => [r.group, r.score] as const, { key: string(), name: 'by-group' })
    .aggregate(
      () => ({ n: 0, sum: 0 }),
      // In place, as q17's adder: the cache must keep each key's own object.
      (acc, score) => {
        acc.n++;
        acc.sum += score;
        return acc;
      },
      (acc, score) => {
        acc.n--;
        acc.sum -= score;
        return acc;
      },
      { name: 'group-stats' },
    )
    .toStream()
    .to('out', { value: json<{ n: number; sum: number }>() });
  return a;
}

const BOUND = 4 * 1024;

function run(bounded: boolean, stores: CountingStore[], restoreFrom?: DriverSnapshot) {
  return countingDriver(app(), stores, bounded ? BOUND : undefined, restoreFrom);
}

for (const bounded of [false, true]) {
  test(`table groupBy aggregate over 300 groups (${bounded ? 'bounded' : 'unbounded'} cache): updates, stored state and a restore match a direct computation`, () => {
    const r = rng(21);
    const stores: CountingStore[] = [];
    const driver = run(bounded, stores);
    const rows = new Map<string, Row>();
    const stats = new Map<string, { n: number; sum: number }>();
    const expectedUpdates: string[] = [];
    const change = (group: string, score: number, sign: 1 | -1) => {
      const s = stats.get(group) ?? { n: 0, sum: 0 };
      s.n += sign;
      s.sum += sign * score;
      stats.set(group, s);
      expectedUpdates.push(`${group}:${s.n}/${s.sum}`);
    };
    try {
      const input = driver.input('rows', { key: string(), value: json<Row>() });
      const store = stores.find((s) => s.name.includes('group-stats'))!;
      const mappings = stores.find((s) => s.name === 'by-group')!;
      const op = driver.allTasks.flat().flatMap((t) => t.operators).find((o): o is GroupedTableAggregateOperator => o instanceof GroupedTableAggregateOperator)!;
      for (let round = 0; round < 10; round++) {
        const batch = Array.from({ length: 500 }, () => {
          const key = `row${Math.floor(r() * 1_000)}`;
          const value = r() < 0.1 ? null : { group: `g${Math.floor(r() * 300)}`, score: 1 + Math.floor(r() * 50) };
          return { key, value };
        });
        const changed = new Set<string>();
        const changedRows = new Set<string>();
        for (const { key, value } of batch) {
          const old = rows.get(key);
          if (old || value) changedRows.add(key);
          if (old) {
            change(old.group, old.score, -1);
            changed.add(old.group);
          }
          if (value) {
            rows.set(key, value);
            change(value.group, value.score, 1);
            changed.add(value.group);
          } else rows.delete(key);
        }
        const before = store.puts;
        const mappingWrites = mappings.puts + mappings.deletes;
        input.pipeAll(batch);
        // Unbounded: one write per changed group and per changed row per commit (the driver commits after each pipeAll).
        if (!bounded) assert.equal(store.puts - before, changed.size);
        if (!bounded) assert.equal(mappings.puts + mappings.deletes - mappingWrites, changedRows.size);
        else assert.ok(op.cache.bytes <= BOUND, `cache holds ${op.cache.bytes} bytes`);
      }
      if (bounded) assert.ok(op.cache.evictions > 100, `${op.cache.evictions} evictions`);
      const got = driver.output('out', { key: string(), value: json<{ n: number; sum: number }>() }).readRecords().map((x) => `${x.key}:${x.value!.n}/${x.value!.sum}`);
      assert.deepEqual(got, expectedUpdates);
      const codec = new StoreKeyCodec(string());
      const stored = new Map<string, { n: number; sum: number }>();
      for (const e of store.all()) stored.set(codec.decode(e.key) as string, decodeState(e.value));
      assert.deepEqual(stored, stats);
      for (const g of ['g0', 'g150', 'g299']) assert.deepEqual(op.get(g), stats.get(g));
      // The regrouping's store holds each live row's [group, score], and nothing for deleted rows.
      const storedRows = new Map<string, Row>();
      for (const e of mappings.all()) {
        const [group, score] = decodeState<[string, number]>(e.value);
        storedRows.set(codec.decode(e.key) as string, { group, score });
      }
      assert.deepEqual(storedRows, rows);

      // A restore continues from the stored accumulators: a new row in g7 adds to its stats.
      const restored = run(bounded, [], driver.snapshot());
      try {
        restored.input('rows', { key: string(), value: json<Row>() }).pipeAll([{ key: 'new-row', value: { group: 'g7', score: 1000 } }]);
        const last = restored.output('out', { key: string(), value: json<{ n: number; sum: number }>() }).readRecords().at(-1)!;
        const g7 = stats.get('g7')!;
        assert.deepEqual(last.value, { n: g7.n + 1, sum: g7.sum + 1000 });
      } finally {
        restored.close();
      }
    } finally {
      driver.close();
    }
  });
}
