// Window and join operators hold every entry of an in-memory store in their unbounded caches, so
// the store hands its entries over to them (KeyValueStore.serveFrom) and keeps no copy. Readers
// of the store (interactive queries, the test driver, metrics) then read the operator. These
// tests check, after every flush, that what a handed-over store reads — every entry, each key's
// range, point reads, its size — is exactly the store its changelog restores, which is computed
// here by replaying the changelog topic into a plain in-memory store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, hopping, json, string, tumbling } from '../../src/index.js';
import { keyPrefix, prefixEnd } from '../../src/state/bytes.js';
import type { KeyValueStore } from '../../src/state/kv-store.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';

const OOO = 2_000;

interface Event {
  key: string;
  side: 0 | 1;
  jump: number;
  v: number;
}

const arbSteps = fc.array(
  fc.array(
    fc.record({ key: fc.constantFrom('a', 'b', 'c', 'dd', 'k'.repeat(70)), side: fc.constantFrom<0 | 1>(0, 1), jump: fc.integer({ min: 0, max: 6_000 }), v: fc.integer({ min: 0, max: 5 }) }),
    { minLength: 1, maxLength: 10 },
  ),
  { minLength: 1, maxLength: 12 },
);

/** Timestamps from the jumps: some out of order, some late (their windows closed). */
function timed(steps: Event[][]): { key: string; side: 0 | 1; v: number; ts: number }[][] {
  let max = 100_000;
  return steps.map((step) =>
    step.map((e) => {
      const ts = max - OOO - 500 + e.jump;
      if (ts > max) max = ts;
      return { key: e.key, side: e.side, v: e.v, ts };
    }),
  );
}

type Shape = 'tumbling count' | 'hopping count' | 'hopping reduce' | 'inner join' | 'left join' | 'outer join';

function build(shape: Shape): { app: StreamsApp; stores: string[] } {
  const app = new StreamsApp({ applicationId: `served-${shape.replace(' ', '-')}`, maxOutOfOrderness: OOO });
  const left = app.stream('left', { key: string(), value: json<number>() });
  if (shape.endsWith('join')) {
    const right = app.stream('right', { key: string(), value: json<number>() });
    const opts = { within: 1_500, grace: 500, name: 'pairs' };
    const j = (a: number | undefined, b: number | undefined) => `${a ?? '-'}/${b ?? '-'}`;
    const joined = shape === 'inner join' ? left.join(right, j, opts) : shape === 'left join' ? left.leftJoin(right, j, opts) : left.outerJoin(right, j, opts);
    joined.to('out', { value: string() });
    return { app, stores: ['pairs-left', 'pairs-right'] };
  }
  const grouped = left.groupByKey();
  const windowed = shape === 'tumbling count' ? grouped.window(tumbling(5_000), { grace: 1_000 }) : grouped.window(hopping(5_000, 1_000), { grace: 1_000 });
  // reduce has no merge: one slot per window instead of panes.
  const table = shape === 'hopping reduce' ? windowed.reduce((a, b) => a + b, { name: 'state' }) : windowed.count({ name: 'state' });
  table.toStream().to('out', { value: json() });
  return { app, stores: ['state'] };
}

const hex = (b: Buffer | undefined) => b?.toString('hex');
const entries = (it: Iterable<{ key: Buffer; value: Buffer }>) => [...it].map((e) => [hex(e.key), hex(e.value)]);

/** The store the changelog topic of `store` restores: every record so far, replayed. */
function replayed(driver: TopologyTestDriver, store: string): InMemoryKeyValueStore {
  const topics = [...driver.snapshot().topics.keys()].filter((t) => t.includes(`${store}-changelog`));
  assert.ok(topics.length <= 1, `one changelog topic for ${store}`);
  const out = new InMemoryKeyValueStore('replayed');
  // No topic yet: nothing was written to it.
  const log = topics.length === 0 ? [] : (driver.snapshot().topics.get(topics[0]!)![0] ?? []);
  out.restore(log.map((r) => ({ key: r.key!, value: r.value })));
  return out;
}

function check(driver: TopologyTestDriver, store: string, where: string): void {
  const served = driver.stateStores(store)[0]!;
  const inner = (served.unlogged ?? served) as InMemoryKeyValueStore;
  assert.ok(inner.served, `${where}: '${store}' is handed over to its operator`);
  const expected = replayed(driver, store);
  assert.deepEqual(entries(served.all()), entries(expected.all()), `${where}: every entry, in key order`);
  assert.equal(served.size, expected.size, `${where}: size`);
  assert.deepEqual(entries(served.unordered!()).sort(), entries(expected.all()).sort(), `${where}: unordered`);
  const prefixes = new Map<string, Buffer>();
  for (const e of expected.all()) {
    assert.equal(hex(served.get(e.key)), hex(e.value), `${where}: get`);
    const other = Buffer.from(e.key);
    other[other.length - 1]! ^= 0x55;
    assert.equal(hex(served.get(other)), hex(expected.get(other)), `${where}: get of a key next to one held`);
    const prefix = keyPrefix(e.key.subarray(4, 4 + e.key.readUInt32BE(0)));
    prefixes.set(hex(prefix)!, prefix);
  }
  prefixes.set('absent', keyPrefix(Buffer.from('absent')));
  for (const prefix of prefixes.values()) {
    const range = (s: KeyValueStore) => entries(s.range(prefix, prefixEnd(prefix)));
    assert.deepEqual(range(served), range(expected), `${where}: one key's range`);
  }
  // A range that is not one key's prefix: filtered from every entry.
  const all = [...expected.all()];
  if (all.length > 2) {
    const from = all[1]!.key;
    const to = all[all.length - 1]!.key;
    assert.deepEqual(entries(served.range(from, to)), entries(expected.range(from, to)), `${where}: an arbitrary range`);
  }
}

function run(shape: Shape, steps: Event[][]): void {
  const { app, stores } = build(shape);
  const driver = new TopologyTestDriver(app);
  const inputs = [driver.input<string, number>('left', { key: string(), value: json<number>() })];
  if (shape.endsWith('join')) inputs.push(driver.input<string, number>('right', { key: string(), value: json<number>() }));
  timed(steps).forEach((step, i) => {
    // Runs of one side in one pipe (the driver flushes after each pipe): several records per flush.
    for (let a = 0; a < step.length; ) {
      const side = shape.endsWith('join') ? step[a]!.side : 0;
      let b = a + 1;
      while (b < step.length && (shape.endsWith('join') ? step[b]!.side : 0) === side) b++;
      inputs[side]!.pipeAll(step.slice(a, b).map((e) => ({ key: e.key, value: e.v, timestamp: e.ts })));
      a = b;
    }
    for (const s of stores) check(driver, s, `step ${i}`);
  });
  driver.close();
}

for (const shape of ['tumbling count', 'hopping count', 'hopping reduce', 'inner join', 'left join', 'outer join'] as const) {
  test(`${shape}: a handed-over store reads exactly what its changelog restores, after every flush`, () => {
    fc.assert(
      fc.property(arbSteps, (steps) => run(shape, steps)),
      { numRuns: 40 },
    );
  });
}

test('a handed-over in-memory store: no copy kept, reads from its owner, writes no-ops, restore refused', () => {
  const s = new InMemoryKeyValueStore('s');
  s.put(Buffer.from('x'), Buffer.from('1'));
  const owned = new Map([
    ['a1', '1'],
    ['a2', '2'],
    ['b1', '3'],
  ]);
  let prefixCalls = 0;
  const kv = (k: string) => ({ key: Buffer.from(k), value: Buffer.from(owned.get(k)!) });
  s.serveFrom({
    get: (key) => (owned.has(key.toString()) ? Buffer.from(owned.get(key.toString())!) : undefined),
    *entries() {
      for (const k of owned.keys()) yield kv(k);
    },
    withPrefix(prefix) {
      prefixCalls++;
      return [...owned.keys()].filter((k) => k.startsWith(prefix.toString())).map(kv);
    },
    get size() {
      return owned.size;
    },
  });
  assert.equal(s.get(Buffer.from('x')), undefined, 'what the store held before is gone');
  assert.equal(s.size, 3);
  assert.equal(s.get(Buffer.from('b1'))?.toString(), '3');
  s.put(Buffer.from('c'), Buffer.from('9'));
  assert.equal(s.get(Buffer.from('c')), undefined, 'a put is not kept');
  assert.equal(s.delete(Buffer.from('zz')), true, 'a delete reports true: the owner deletes only what it wrote');
  assert.deepEqual([...s.range(Buffer.from('a'), Buffer.from('b'))].map((e) => e.key.toString()), ['a1', 'a2']);
  assert.equal(prefixCalls, 1, 'a prefix range asks the owner for the prefix');
  assert.deepEqual([...s.range(Buffer.from('a2'), undefined)].map((e) => e.key.toString()), ['a2', 'b1']);
  assert.deepEqual([...s.all()].map((e) => e.key.toString()), ['a1', 'a2', 'b1']);
  assert.throws(() => s.restore([{ key: Buffer.from('a1'), value: null }]), /restore after the store was handed/);
  s.close();
  assert.equal(s.served, false);
});
