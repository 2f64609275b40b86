import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, json, string } from '../../src/index.js';

interface User {
  region: string;
  score: number;
}

function build(valueSerde: boolean) {
  const app = new StreamsApp({ applicationId: 'regroup' });
  const users = app.table('users', { key: string(), value: json<User>() });
  const byRegion = users.groupBy((u) => [u.region, u.score] as const, { key: string(), ...(valueSerde ? { value: json<number>() } : {}), name: 'by-region' });
  const counts = byRegion.count({ name: 'region-count' });
  counts.toStream().to('region-counts', { value: json() });
  const sums = byRegion.aggregate(
    () => 0,
    (acc, score) => acc + score,
    (acc, score) => acc - score,
    { name: 'region-sum' },
  );
  sums.toStream().to('region-sums', { value: json() });
  const maxes = byRegion.reduce((a, b) => a + b, (a, b) => a - b, { name: 'region-reduce' });
  return { app, counts, sums, maxes };
}

type Op = { user: string; value: User | null };

const arbOps = fc.array(
  fc.record({
    user: fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5'),
    value: fc.option(fc.record({ region: fc.constantFrom('eu', 'us', 'apac'), score: fc.integer({ min: 1, max: 100 }) }), { nil: null, freq: 4 }),
  }),
  { minLength: 1, maxLength: 60 },
);

/** Reference: the table's final rows, grouped by region, computed directly. */
function reference(ops: readonly Op[]) {
  const rows = new Map<string, User>();
  const everSeen = new Set<string>();
  for (const o of ops) {
    if (o.value === null) rows.delete(o.user);
    else {
      rows.set(o.user, o.value);
      everSeen.add(o.value.region);
    }
  }
  const count = new Map<string, number>();
  const sum = new Map<string, number>();
  for (const r of everSeen) {
    count.set(r, 0);
    sum.set(r, 0);
  }
  for (const u of rows.values()) {
    count.set(u.region, count.get(u.region)! + 1);
    sum.set(u.region, sum.get(u.region)! + u.score);
  }
  return { count, sum };
}

test('table.groupBy(...).count/aggregate/reduce: rows moving between groups and deletes are subtracted (model check)', () => {
  fc.assert(
    fc.property(arbOps, fc.boolean(), (ops, valueSerde) => {
      const { app, counts, sums } = build(valueSerde);
      const d = new TopologyTestDriver(app);
      d.input('users', { key: string(), value: json<User>() }).pipeAll(ops.map((o) => ({ key: o.user, value: o.value })));
      const ref = reference(ops);
      const latest = (topic: string) => new Map(d.output(topic, { key: string(), value: json<number>() }).readKeyValues() as Array<[string, number]>);
      assert.deepEqual(latest('region-counts'), ref.count);
      assert.deepEqual(latest('region-sums'), ref.sum);
      assert.deepEqual(new Map(d.tableEntries(counts)), ref.count);
      assert.deepEqual(new Map(d.tableEntries(sums)), ref.sum);
      assert.equal(d.deadLetters().length, 0);
    }),
    { numRuns: 80 },
  );
});

test('table.groupBy: an update subtracts from the old group before adding to the new one; a delete only subtracts', () => {
  const { app } = build(false);
  const d = new TopologyTestDriver(app);
  const users = d.input('users', { key: string(), value: json<User>() });
  const out = d.output('region-sums', { key: string(), value: json<number>() });
  users.pipeValue('u1', { region: 'eu', score: 10 });
  users.pipeValue('u2', { region: 'eu', score: 5 });
  assert.deepEqual(out.readKeyValues(), [['eu', 10], ['eu', 15]]);
  users.pipeValue('u1', { region: 'us', score: 7 }); // moves: eu loses 10, us gains 7
  assert.deepEqual(out.readKeyValues(), [['eu', 5], ['us', 7]]);
  users.pipeValue('u2', { region: 'eu', score: 8 }); // stays: subtract 5, then add 8
  assert.deepEqual(out.readKeyValues(), [['eu', 0], ['eu', 8]]);
  users.pipeValue('u2', null); // deleted: subtract only
  assert.deepEqual(out.readKeyValues(), [['eu', 0]]);
  users.pipeValue('u3', null); // deleting an absent row changes nothing
  assert.deepEqual(out.readKeyValues(), []);
});

test('table.groupBy: restored from the changelogs, a later update still subtracts the value from before the restart', () => {
  const first = new TopologyTestDriver(build(true).app);
  first.input('users', { key: string(), value: json<User>() }).pipeValue('u1', { region: 'eu', score: 10 });
  const second = new TopologyTestDriver(build(true).app, { restoreFrom: first.snapshot() });
  const out = second.output('region-counts', { key: string(), value: json<number>() });
  out.readKeyValues(); // what the first driver wrote
  second.input('users', { key: string(), value: json<User>() }).pipeValue('u1', { region: 'us', score: 1 });
  assert.deepEqual(out.readKeyValues(), [['eu', 0], ['us', 1]]);
});

test('table.groupBy: the new key and value types flow into the aggregations (wrong types are compile errors)', () => {
  const app = new StreamsApp({ applicationId: 'regroup-types' });
  const users = app.table('users', { key: string(), value: json<User>() });
  const g = users.groupBy((u) => [u.region, u.score] as const, { key: string() });
  // @ts-expect-error the adder receives the new values (numbers), not Users
  g.aggregate(() => 0, (acc, u: User) => acc + u.score, (acc) => acc);
  // @ts-expect-error count() is a table of numbers keyed by the new key
  const wrong: import('../../src/index.js').Table<number, number> = g.count();
  const counts: import('../../src/index.js').Table<string, number> = g.count({ name: 'typed-count' });
  assert.ok(wrong && counts);
});
