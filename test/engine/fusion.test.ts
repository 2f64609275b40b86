/**
 * Operator fusion (src/engine/operators/stateless.ts): a run of filter/map/mapValues/selectKey/
 * peek operators runs as one loop with one Rec per record. Results, dead letters and per-operator
 * counters must be exactly those of the operators run one by one; expected values are computed
 * straight from the input here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, TopologyTestDriver, json, string } from '../../src/index.js';
import { Rec } from '../../src/engine/records.js';
import type { Operator } from '../../src/engine/operators/operator.js';

interface Ev {
  id: number;
  user: string;
  amount: number;
}

const events: Ev[] = Array.from({ length: 60 }, (_, i) => ({ id: i, user: `u${i % 7}`, amount: (i * 37) % 101 }));

function pipe(driver: TopologyTestDriver, topic = 'events', rows = events): void {
  driver.input<string, Ev>(topic, { key: string(), value: json<Ev>() }).pipeAll(rows.map((e) => ({ key: e.user, value: e, timestamp: 1000 + e.id })));
}

function operator(driver: TopologyTestDriver, name: string): Operator {
  for (const t of driver.allTasks) for (const op of t.operators) if (op.name === name) return op;
  throw new Error(`no operator ${name}`);
}

test('a long stateless chain gives the records of the direct evaluation, with event times and per-operator counts', () => {
  const app = new StreamsApp({ applicationId: 'fusion-chain' });
  const peeked: Array<[string, number, number]> = [];
  const contexts: number[] = [];
  const out = app
    .stream('events', { key: string(), value: json<Ev>() })
    .filter((e) => e.amount % 3 !== 0, { name: 'f1' })
    .mapValues((e) => ({ ...e, amount: e.amount * 2 }), { name: 'mv' })
    .peek((e, k, r) => {
      peeked.push([k, e.amount, r.timestamp]);
      contexts.push(r.offset ?? -1);
    }, { name: 'pk' })
    .map((e, k) => [`${k}/${e.id % 2}`, e.amount + 1] as const, { name: 'm' })
    .filter((v) => v % 5 !== 0, { name: 'f2' })
    .selectKey((v, k) => `${k}:${v % 4}`, { name: 'sk' })
    .mapValues((v, k) => `${k}=${v}`, { name: 'mv2' })
    .to('out', { key: string(), value: string() });
  const driver = new TopologyTestDriver(app);
  pipe(driver);

  const afterF1 = events.filter((e) => e.amount % 3 !== 0);
  const mapped = afterF1.map((e) => ({ key: `${e.user}/${e.id % 2}`, value: e.amount * 2 + 1, e }));
  const afterF2 = mapped.filter((r) => r.value % 5 !== 0);
  const expected = afterF2.map((r) => {
    const k = `${r.key}:${r.value % 4}`;
    return [k, `${k}=${r.value}`];
  });
  assert.deepEqual(driver.output(out).readKeyValues(), expected);
  assert.deepEqual(peeked, afterF1.map((e) => [e.user, e.amount * 2, 1000 + e.id]));
  // User functions inside the run still see the input record's context (its offset here).
  assert.deepEqual(contexts, afterF1.map((e) => e.id));
  assert.deepEqual(driver.output(out).readAll().map((r) => r.timestamp), afterF2.map((r) => 1000 + r.e.id));
  const counts = Object.fromEntries(['f1', 'mv', 'pk', 'm', 'f2', 'sk', 'mv2'].map((n) => [n, operator(driver, n).forwarded]));
  assert.deepEqual(counts, { f1: afterF1.length, mv: afterF1.length, pk: afterF1.length, m: afterF1.length, f2: afterF2.length, sk: afterF2.length, mv2: afterF2.length });
});

test('a fused run makes one Rec per record, however many operators change key or value; none when its only downstream is a sink', () => {
  for (const sinks of [2, 1]) {
    const app = new StreamsApp({ applicationId: 'fusion-alloc' });
    const run = app
      .stream('events', { key: string(), value: json<Ev>() })
      .mapValues((e) => e.amount)
      .mapValues((a) => a + 1)
      .selectKey((a, k) => `${k}-${a}`)
      .map((a, k) => [k, a * 2] as const);
    for (let s = 0; s < sinks; s++) run.to(`out${s}`, { key: string(), value: json<number>() });
    const driver = new TopologyTestDriver(app);
    let made = 0;
    const original = Rec.prototype.with;
    Rec.prototype.with = function (this: Rec, key: unknown, value: unknown): Rec {
      made++;
      return original.call(this, key, value);
    };
    try {
      pipe(driver);
    } finally {
      Rec.prototype.with = original;
    }
    const expected = events.map((e) => [`${e.user}-${e.amount + 1}`, (e.amount + 1) * 2]);
    for (let s = 0; s < sinks; s++) assert.deepEqual(driver.output<string, number>(`out${s}`, { key: string(), value: json<number>() }).readKeyValues(), expected);
    // Unfused, each of the four operators made its own Rec (4 per record); fused, one for the two
    // sinks to share, and none for a sole sink, which takes the run's key and value as they are.
    assert.equal(made, sinks === 1 ? 0 : events.length);
  }
});

test('a fused run writing to its sole sink: the serializer and partitioner get the run\'s key and value; their errors dead-letter the record', () => {
  const oddOnly = {
    name: 'odd-only',
    serialize: (a: number) => {
      if (a % 2 === 0) throw new Error(`even ${a}`);
      return Buffer.from(String(a));
    },
    deserialize: (b: Buffer) => Number(b.toString()),
  };
  const app = new StreamsApp({ applicationId: 'fusion-sink-dlq' });
  const seen: Array<[string, number]> = [];
  app
    .stream('events', { key: string(), value: json<Ev>() })
    .mapValues((e) => e.amount, { name: 'amount' })
    .selectKey((a, k) => `${k}#${a}`, { name: 'rekey' })
    .to('out', {
      key: string(),
      value: oddOnly,
      partitioner: (k: string, a: number, _bytes, n) => {
        seen.push([k, a]);
        if (a % 3 === 0) throw new Error(`multiple of 3: ${a}`);
        return a % n;
      },
      name: 'sink',
    });
  const driver = new TopologyTestDriver(app);
  pipe(driver);
  const odd = events.filter((e) => e.amount % 2 !== 0);
  assert.deepEqual(seen, odd.map((e) => [`${e.user}#${e.amount}`, e.amount]));
  const written = odd.filter((e) => e.amount % 3 !== 0);
  assert.deepEqual(driver.output<string, number>('out', { key: string(), value: oddOnly }).readKeyValues(), written.map((e) => [`${e.user}#${e.amount}`, e.amount]));
  // Dead letters carry the input record's bytes (it came from a topic) and the sink's name.
  const failed = events.filter((e) => e.amount % 2 === 0 || e.amount % 3 === 0);
  assert.deepEqual(
    driver.deadLetters().map((r) => [r.key?.toString(), (JSON.parse(r.value!.toString()) as Ev).id, r.headers.find((h) => h.key === 'tributary.error.operator')?.value?.toString()]),
    failed.map((e) => [e.user, e.id, 'sink']),
  );
});

test('an error inside the run is dead-lettered under the failing operator; the other records go on', () => {
  const app = new StreamsApp({ applicationId: 'fusion-dlq' });
  const out = app
    .stream('events', { key: string(), value: json<Ev>() })
    .mapValues((e) => e.amount, { name: 'amount' })
    .filter((a) => {
      if (a === 0) throw new Error('zero amount');
      return true;
    }, { name: 'nonzero' })
    .map((a, k) => {
      if (k === 'u3') throw new Error('no u3');
      return [k, a] as const;
    }, { name: 'pairs' })
    .to('out', { key: string(), value: json<number>() });
  const driver = new TopologyTestDriver(app);
  pipe(driver);
  const zero = events.filter((e) => e.amount === 0);
  const u3 = events.filter((e) => e.amount !== 0 && e.user === 'u3');
  const ok = events.filter((e) => e.amount !== 0 && e.user !== 'u3');
  assert.ok(zero.length > 0 && u3.length > 0);
  assert.deepEqual(driver.output(out).readKeyValues(), ok.map((e) => [e.user, e.amount]));
  const dead = driver.deadLetters();
  const h = (r: (typeof dead)[number], k: string) => r.headers.find((x) => x.key === k)?.value?.toString();
  const byOp = (op: string) => dead.filter((r) => h(r, 'tributary.error.operator') === op).map((r) => JSON.parse(r.value!.toString()) as Ev);
  assert.equal(dead.length, zero.length + u3.length);
  assert.deepEqual(byOp('nonzero').map((e) => e.id), zero.map((e) => e.id));
  assert.deepEqual(byOp('pairs').map((e) => e.id), u3.map((e) => e.id));
  assert.equal(operator(driver, 'amount').forwarded, events.length);
  assert.equal(operator(driver, 'nonzero').forwarded, events.length - zero.length);
  assert.equal(operator(driver, 'pairs').forwarded, ok.length);
});

test('fan-out and merge around stateless operators: each branch sees its parent unchanged', () => {
  const app = new StreamsApp({ applicationId: 'fusion-fan' });
  const doubled = app.stream('events', { key: string(), value: json<Ev>() }).mapValues((e) => e.amount * 2);
  // Two children: the mapValues above cannot fuse past its fan-out, and neither branch may see the other's changes.
  const plus = doubled.mapValues((a) => a + 1000).to('plus', { value: json<number>() });
  const small = doubled.filter((a) => a < 60).to('small', { value: json<number>() });
  // A merge into a run: the run after the merge runs for records of both parents.
  const other = app.stream('others', { key: string(), value: json<Ev>() }).mapValues((e) => -e.amount);
  const merged = doubled
    .merge(other)
    .mapValues((a) => a * 10)
    .filter((a) => a !== 0)
    .to('merged', { value: json<number>() });
  const driver = new TopologyTestDriver(app);
  pipe(driver);
  const others = events.slice(0, 20).map((e) => ({ ...e, amount: e.amount + 1 }));
  pipe(driver, 'others', others);
  assert.deepEqual(driver.output(plus).readValues(), events.map((e) => e.amount * 2 + 1000));
  assert.deepEqual(driver.output(small).readValues(), events.map((e) => e.amount * 2).filter((a) => a < 60));
  const expectMerged = [...events.map((e) => e.amount * 2 * 10), ...others.map((e) => -e.amount * 10)].filter((a) => a !== 0);
  assert.deepEqual(driver.output(merged).readValues(), expectMerged);
});
