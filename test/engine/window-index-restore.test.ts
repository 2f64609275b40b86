// Window timers across restores, without rebuilding them from every window:
// - behind a bounded cache the timers are the store's time index, kept in step while the store
//   is restored: after a tail restore (a local checkpoint + the changelog records after it) the
//   index holds exactly the open windows, only the tail's records were looked at, an entry of a
//   window the tail did not touch is left as it was (no rebuild), and expiry afterwards equals
//   the run that never stopped; a full restore into empty stores builds the index as it goes;
// - with in-memory stores (unbounded cache) the operators load the restored windows without the
//   store sorting its keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, json, string } from '../../src/index.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import type { LoggedKeyValueStore } from '../../src/state/logged-store.js';
import { DERIVED_ENTRIES_VALID } from '../../src/state/logged-store.js';
import { isTimeIndexKey, splitTimeIndexKey } from '../../src/state/window-store.js';
import { timeWindowReference, windowKey, type Ev } from './reference.js';
import { OOO, countAndSumApp, windowOps, wserdes } from './window-app.js';
import { timeIndexOf, changelogLengths, changelogTail, copyStores, keptBoundedStores } from '../support/restore-snapshots.js';

const BOUND = 1_000;
const STORES = ['count', 'slots'] as const;
const OUTPUTS = ['count', 'slots'] as const;

const build = (size: number, advance: number, grace: number): StreamsApp => countAndSumApp('index-restore', size, advance, grace);

/** Bounded in-memory stores (timers in the store's index), kept by name so that a test can copy them. */
const boundedStores = (kept: Map<string, InMemoryKeyValueStore>, from?: ReadonlyMap<string, InMemoryKeyValueStore>) => keptBoundedStores(BOUND, kept, from);

const pipe = (d: TopologyTestDriver, events: readonly Ev[]) =>
  d.input('events', { key: string(), value: json<Ev>() }).pipeAll(events.map((e) => ({ key: e.key, value: e })));

function results(d: TopologyTestDriver, topic: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of d.output(topic, wserdes).readRecords()) {
    const k = windowKey(r.key!.key, r.key!.start);
    assert.ok(!out.has(k), `window ${k} emitted once on ${topic}`);
    out.set(k, r.value!);
  }
  return out;
}

/** The (key, window) pairs some record counted in that the watermark has not closed. */
function openWindows(events: readonly Ev[], size: number, advance: number, grace: number): number {
  if (events.length === 0) return 0;
  const W = Math.max(...events.map((e) => e.ts)) - OOO;
  const counted = timeWindowReference(events, { size, advance, grace, ooo: OOO }, (acc) => (acc ?? 0) + 1).results;
  let n = 0;
  for (const k of counted.keys()) if (Number(k.slice(k.lastIndexOf('@') + 1)) + size + grace > W) n++;
  return n;
}

const logged = (d: TopologyTestDriver, name: string) => d.stateStores(name)[0]! as LoggedKeyValueStore;

const arbCase = fc.record({
  shape: fc.constantFrom([10_000, 2_000], [9_000, 3_000], [6_000, 6_000]),
  grace: fc.integer({ min: 0, max: 3_000 }),
  events: fc.array(
    fc.record({ key: fc.constantFrom('a', 'b', 'c', 'dd', 'eee', 'f', 'g', 'h'), ts: fc.integer({ min: 0, max: 60_000 }), n: fc.integer({ min: 1, max: 9 }) }),
    { minLength: 1, maxLength: 150 },
  ),
  cuts: fc.tuple(fc.nat(), fc.nat()),
});

test('bounded cache: after a tail restore (and a full one) the timers are exactly the open windows, kept in step rather than rebuilt, and expiry equals the run that never stopped', () => {
  fc.assert(
    fc.property(arbCase, ({ shape: [size, advance], grace, events, cuts }) => {
      const [c1, c2] = [cuts[0] % (events.length + 1), cuts[1] % (events.length + 1)].sort((x, y) => x - y) as [number, number];
      const kept = new Map<string, InMemoryKeyValueStore>();
      const straight = new TopologyTestDriver(build(size, advance, grace), { stateStore: boundedStores(kept) });
      pipe(straight, events.slice(0, c1));
      // The local checkpoint: copies of the stores (windows, index, marker) and the changelog offsets.
      const checkpoint = copyStores(kept);
      const at = changelogLengths(straight.snapshot());
      pipe(straight, events.slice(c1, c2));
      const snap = straight.snapshot();
      const before = new Map(OUTPUTS.map((t) => [t, results(straight, t)]));

      const tailed = new TopologyTestDriver(build(size, advance, grace), { stateStore: boundedStores(new Map(), checkpoint), restoreFrom: changelogTail(snap, at) });
      const full = new TopologyTestDriver(build(size, advance, grace), { stateStore: boundedStores(new Map()), restoreFrom: snap });
      for (const name of STORES) {
        const topic = `index-restore-${name}-changelog`;
        const tailRecords = (snap.topics.get(topic)?.[0]?.length ?? 0) - (at.get(topic) ?? 0);
        // Before the operators open: the index is there, marked valid, from the restored records alone.
        for (const [d, n] of [[tailed, tailRecords], [full, snap.topics.get(topic)?.[0]?.length ?? 0]] as const) {
          const s = logged(d, name);
          if (n > 0) assert.ok(s.get(DERIVED_ENTRIES_VALID), `${name}: the index is valid after the restore`);
          assert.equal(s.derivedRecords, n, `${name}: the restored records were looked at, once each`);
        }
      }
      const open = openWindows(events.slice(0, c2), size, advance, grace);
      straight.allTasks[0]!.process([]);
      for (const d of [tailed, full]) {
        d.allTasks[0]!.process([]); // opens the operators
        for (const op of windowOps(d)) assert.equal(op.timersInStore(), open, 'one timer per open window');
        for (const name of STORES) assert.deepEqual(timeIndexOf(logged(d, name)), timeIndexOf(logged(straight, name)), `${name}: the index of the run that never stopped`);
      }
      pipe(straight, events.slice(c2));
      straight.drain();
      const after = new Map(OUTPUTS.map((t) => [t, results(straight, t)]));
      for (const d of [tailed, full]) {
        pipe(d, events.slice(c2));
        d.drain();
        for (const t of OUTPUTS) assert.deepEqual(results(d, t), after.get(t), `${t}: expiry after the restore equals the straight run's`);
        for (const op of windowOps(d)) assert.equal(op.timersInStore(), 0);
      }
      const ref = timeWindowReference(events, { size, advance, grace, ooo: OOO }, (acc) => (acc ?? 0) + 1).results;
      assert.deepEqual(new Map([...before.get('count')!, ...after.get('count')!]), ref);
      for (const d of [straight, tailed, full]) d.close();
    }),
    { numRuns: 60 },
  );
});

test('a tail restore updates the index for the tail only: a timer lost behind the index of a key the tail does not touch stays lost', () => {
  const [size, advance, grace] = [10_000, 2_000, 0];
  const kept = new Map<string, InMemoryKeyValueStore>();
  const first = new TopologyTestDriver(build(size, advance, grace), { stateStore: boundedStores(kept) });
  const early: Ev[] = Array.from({ length: 400 }, (_, i) => ({ key: `k${i % 100}`, ts: 20_000 + i * 10, n: 1 }));
  pipe(first, early);
  const at = changelogLengths(first.snapshot());
  const checkpoint = copyStores(kept);
  // The tail: records of one key only, inside windows that are open.
  pipe(first, [{ key: 'k7', ts: 24_000, n: 5 }, { key: 'new', ts: 24_001, n: 1 }]);
  const open = openWindows([...early, { key: 'k7', ts: 24_000, n: 5 }, { key: 'new', ts: 24_001, n: 1 }], size, advance, grace);
  // Lose the last index entry of k50 in each copied store (k50 is not in the tail; its earlier
  // windows may close during the tail, its last stays open).
  for (const name of STORES) {
    const s = checkpoint.get(name)!;
    const lost = [...s.all()].filter((e) => isTimeIndexKey(e.key) && e.key.length > 4 && splitTimeIndexKey(e.key).key.toString() === 'k50').pop();
    assert.ok(lost && s.delete(lost.key) !== false);
  }
  const tailed = new TopologyTestDriver(build(size, advance, grace), { stateStore: boundedStores(new Map(), checkpoint), restoreFrom: changelogTail(first.snapshot(), at) });
  tailed.allTasks[0]!.process([]);
  first.allTasks[0]!.process([]);
  for (const op of windowOps(tailed)) assert.equal(op.timersInStore(), open - 1, `${op.name}: not rebuilt`);
  for (const name of STORES) {
    const index = timeIndexOf(logged(tailed, name));
    const straight = timeIndexOf(logged(first, name));
    assert.deepEqual(index.filter((k) => !k.endsWith('|k50')), straight.filter((k) => !k.endsWith('|k50')), 'the tail\'s keys are exact');
    assert.ok(index.some((k) => k.endsWith('|new')), 'the new key has its timers');
  }
  first.close();
  tailed.close();
});

test('in-memory stores: the restored windows are loaded without sorting the store, and every window still fires once', () => {
  const [size, advance, grace] = [10_000, 2_000, 1_000];
  const events: Ev[] = Array.from({ length: 3_000 }, (_, i) => ({ key: `k${(i * 7919) % 1_000}`, ts: i * 5, n: 1 }));
  const at = 2_000;
  const first = new TopologyTestDriver(build(size, advance, grace));
  pipe(first, events.slice(0, at));
  const before = results(first, 'count');
  const second = new TopologyTestDriver(build(size, advance, grace), { restoreFrom: first.snapshot() });
  second.allTasks[0]!.process([]);
  for (const name of STORES) {
    const inner = logged(second, name).unlogged as InMemoryKeyValueStore;
    assert.ok(inner.size > 1_000, `${name}: ${inner.size} restored windows`);
    assert.equal(inner.sortedIndexBuilds, 0, `${name}: no sort at open`);
  }
  pipe(second, events.slice(at));
  second.drain();
  const after = results(second, 'count');
  for (const k of after.keys()) assert.ok(!before.has(k), `window ${k} emitted before and after the restore`);
  assert.deepEqual(new Map([...before, ...after]), timeWindowReference(events, { size, advance, grace, ooo: OOO }, (acc) => (acc ?? 0) + 1).results);
  first.close();
  second.close();
});
