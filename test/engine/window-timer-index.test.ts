// Window timers follow the record cache: with a bounded cache (on-disk stores) they live in the
// store's time index ([close time][key], changelogged with the windows), nothing per key in the
// heap; with an unbounded one, in the heap's queue. Either way, and across a restore from the
// changelogs that switches between the two, results equal the reference and the timers are
// exactly the open (key, window) pairs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, json, string } from '../../src/index.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import type { KeyValueStoreFactory } from '../../src/state/kv-store.js';
import { openTaskState } from '../../src/state/local-checkpoint.js';
import { isTimeIndexKey } from '../../src/state/window-store.js';
import { timeWindowReference, windowKey, type Ev } from './reference.js';
import { OOO, countAndSumApp, windowOps, wserdes } from './window-app.js';

/** A few keys' worth: most keys are read back from the store. */
const BOUND = 1_000;
const STORES = ['count', 'slots'] as const;

const build = (size: number, advance: number, grace: number): StreamsApp => countAndSumApp('timer-index', size, advance, grace);

type Kind = 'unbounded' | 'bounded';
const storesOf = (kind: Kind): { stateStore?: () => KeyValueStoreFactory } =>
  kind === 'bounded' ? { stateStore: () => (name) => new InMemoryKeyValueStore(name, { cacheMaxBytes: BOUND }) } : {};

function results(driver: TopologyTestDriver, topic: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of driver.output(topic, wserdes).readRecords()) {
    const k = windowKey(r.key!.key, r.key!.start);
    assert.ok(!out.has(k), `window ${k} emitted once on ${topic}`);
    out.set(k, r.value!);
  }
  return out;
}

/** Index entries in the stores of the window operators (their store's time index). */
function indexEntries(driver: TopologyTestDriver): number {
  let n = 0;
  for (const name of STORES) for (const e of driver.stateStores(name)[0]!.all()) if (isTimeIndexKey(e.key) && e.key.length > 4) n++;
  return n;
}

/**
 * The (key, window) pairs with a timer after `events`: windows some record counted in that the
 * watermark (max event time - OOO) has not closed.
 */
function openWindows(events: readonly Ev[], size: number, advance: number, grace: number): number {
  if (events.length === 0) return 0;
  const W = Math.max(...events.map((e) => e.ts)) - OOO;
  const counted = timeWindowReference(events, { size, advance, grace, ooo: OOO }, (acc) => (acc ?? 0) + 1).results;
  let n = 0;
  for (const k of counted.keys()) if (Number(k.slice(k.lastIndexOf('@') + 1)) + size + grace > W) n++;
  return n;
}

/** The keys with an open window (as openWindows counts them): in the heap, one timer per key. */
function openKeys(events: readonly Ev[], size: number, advance: number, grace: number): number {
  if (events.length === 0) return 0;
  const W = Math.max(...events.map((e) => e.ts)) - OOO;
  const counted = timeWindowReference(events, { size, advance, grace, ooo: OOO }, (acc) => (acc ?? 0) + 1).results;
  const keys = new Set<string>();
  for (const k of counted.keys()) if (Number(k.slice(k.lastIndexOf('@') + 1)) + size + grace > W) keys.add(k.slice(0, k.lastIndexOf('@')));
  return keys.size;
}

/** `open`: (key, window) pairs with a timer (one index entry each); `keys`: keys with one (one heap timer each). */
function checkTimers(driver: TopologyTestDriver, kind: Kind, open: number, keys = open): void {
  driver.allTasks[0]!.process([]); // opens a restored task's operators (the driver opens at the first call)
  const ops = windowOps(driver);
  assert.equal(ops.length, STORES.length);
  for (const op of ops) {
    assert.equal(op.timersInMemory, kind === 'bounded' ? 0 : keys, 'timers held in the heap');
    assert.equal(op.timersInStore(), kind === 'bounded' ? open : 0, "timers in the store's index");
  }
  assert.equal(indexEntries(driver), kind === 'bounded' ? open * STORES.length : 0);
}

const arbCase = fc.record({
  shape: fc.constantFrom([10_000, 2_000], [9_000, 3_000], [6_000, 6_000]),
  grace: fc.integer({ min: 0, max: 3_000 }),
  events: fc.array(
    fc.record({ key: fc.constantFrom('a', 'b', 'c', 'dd', 'eee', 'f', 'g', 'h'), ts: fc.integer({ min: 0, max: 60_000 }), n: fc.integer({ min: 1, max: 9 }) }),
    { minLength: 1, maxLength: 150 },
  ),
  cut: fc.nat(),
  kinds: fc.constantFrom<[Kind, Kind]>(['bounded', 'bounded'], ['unbounded', 'bounded'], ['bounded', 'unbounded']),
});

test('timers in the store index (bounded cache) or in the heap (unbounded): exactly the open windows, results equal the reference across restores that switch between the two', () => {
  fc.assert(
    fc.property(arbCase, ({ shape: [size, advance], grace, events, cut, kinds: [k1, k2] }) => {
      const refCount = timeWindowReference(events, { size, advance, grace, ooo: OOO }, (acc) => (acc ?? 0) + 1).results;
      const refSum = timeWindowReference(events, { size, advance, grace, ooo: OOO }, (acc, e) => (acc ?? 0) + e.n).results;
      const at = cut % (events.length + 1);
      const first = new TopologyTestDriver(build(size, advance, grace), storesOf(k1));
      first.input('events', { key: string(), value: json<Ev>() }).pipeAll(events.slice(0, at).map((e) => ({ key: e.key, value: e })));
      checkTimers(first, k1, openWindows(events.slice(0, at), size, advance, grace), openKeys(events.slice(0, at), size, advance, grace));
      const before = { count: results(first, 'count'), slots: results(first, 'slots') };
      // Restored from the changelogs (the index with them, or built at open, or deleted at open).
      const second = new TopologyTestDriver(build(size, advance, grace), { ...storesOf(k2), restoreFrom: first.snapshot() });
      checkTimers(second, k2, openWindows(events.slice(0, at), size, advance, grace), openKeys(events.slice(0, at), size, advance, grace));
      for (const t of ['count', 'slots']) second.output(t, wserdes).readRecords();
      second.input('events', { key: string(), value: json<Ev>() }).pipeAll(events.slice(at).map((e) => ({ key: e.key, value: e })));
      checkTimers(second, k2, openWindows(events, size, advance, grace), openKeys(events, size, advance, grace));
      second.drain();
      checkTimers(second, k2, 0);
      const merged = (a: Map<string, number>, b: Map<string, number>) => {
        for (const k of b.keys()) assert.ok(!a.has(k), `window ${k} emitted before and after the restore`);
        return new Map([...a, ...b]);
      };
      assert.deepEqual(merged(before.count, results(second, 'count')), refCount);
      assert.deepEqual(merged(before.slots, results(second, 'slots')), refSum);
      first.close();
      second.close();
    }),
    { numRuns: 80 },
  );
});

test('LMDB stores: 1,500 keys, no timer in the heap; the index restored from the changelog fires every window once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-timer-index-'));
  const states: Array<{ close(): Promise<void> }> = [];
  const lmdb = async (name: string) => {
    const ts = await openTaskState(join(dir, name), { eos: false, sync: false, cacheMaxBytes: 16 * 1024 });
    states.push(ts);
    return () => ts.factory;
  };
  try {
    const [size, advance, grace] = [10_000, 2_000, 1_000];
    const events: Ev[] = Array.from({ length: 6_000 }, (_, i) => ({ key: `k${(i * 7919) % 1_500}`, ts: i * 4, n: 1 + (i % 5) }));
    const refCount = timeWindowReference(events, { size, advance, grace, ooo: OOO }, (acc) => (acc ?? 0) + 1).results;
    const at = 3_500;
    const first = new TopologyTestDriver(build(size, advance, grace), { stateStore: await lmdb('a') });
    first.input('events', { key: string(), value: json<Ev>() }).pipeAll(events.slice(0, at).map((e) => ({ key: e.key, value: e })));
    const open = openWindows(events.slice(0, at), size, advance, grace);
    assert.ok(open >= 2_500, `${open} open windows`);
    checkTimers(first, 'bounded', open);
    const before = results(first, 'count');
    first.close();
    const second = new TopologyTestDriver(build(size, advance, grace), { stateStore: await lmdb('b'), restoreFrom: first.snapshot() });
    checkTimers(second, 'bounded', open);
    second.output('count', wserdes).readRecords();
    second.input('events', { key: string(), value: json<Ev>() }).pipeAll(events.slice(at).map((e) => ({ key: e.key, value: e })));
    second.drain();
    checkTimers(second, 'bounded', 0);
    const after = results(second, 'count');
    for (const k of after.keys()) assert.ok(!before.has(k), `window ${k} emitted before and after the restore`);
    assert.deepEqual(new Map([...before, ...after]), refCount);
    second.close();
  } finally {
    for (const s of states) await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LMDB stores reopened without a restore keep their index as it is; a restore rebuilds it from the windows', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-timer-index-'));
  const ts = await openTaskState(join(dir, 'task'), { eos: false, sync: false, cacheMaxBytes: 4 * 1024 });
  try {
    const [size, advance, grace] = [10_000, 2_000, 0];
    const events: Ev[] = Array.from({ length: 3_000 }, (_, i) => ({ key: `k${(i * 31) % 400}`, ts: i * 10, n: 1 }));
    const refCount = timeWindowReference(events, { size, advance, grace, ooo: OOO }, (acc) => (acc ?? 0) + 1).results;
    const at = 1_500;
    const open = openWindows(events.slice(0, at), size, advance, grace);
    const first = new TopologyTestDriver(build(size, advance, grace), { stateStore: () => ts.factory });
    first.input('events', { key: string(), value: json<Ev>() }).pipeAll(events.slice(0, at).map((e) => ({ key: e.key, value: e })));
    checkTimers(first, 'bounded', open);
    const before = results(first, 'count');
    first.close();
    // Lose one timer of each store behind the index's back (entries are 4 + 8 + 4 + key bytes).
    for (const name of STORES) {
      const s = ts.factory(name);
      for (const e of s.range(Buffer.from([0xff, 0xff, 0xff, 0xff, 0]), undefined)) {
        s.delete(e.key);
        break;
      }
    }
    // Same environment, nothing restored: the index is trusted as it is, not rebuilt.
    const reopened = new TopologyTestDriver(build(size, advance, grace), { stateStore: () => ts.factory });
    reopened.allTasks[0]!.process([]);
    for (const op of windowOps(reopened)) assert.equal(op.timersInStore(), open - 1);
    reopened.close();
    // Restored from the changelog (into the same stores): the index is rebuilt, the lost timers are back.
    const restored = new TopologyTestDriver(build(size, advance, grace), { stateStore: () => ts.factory, restoreFrom: first.snapshot() });
    checkTimers(restored, 'bounded', open);
    restored.output('count', wserdes).readRecords();
    restored.input('events', { key: string(), value: json<Ev>() }).pipeAll(events.slice(at).map((e) => ({ key: e.key, value: e })));
    restored.drain();
    const after = results(restored, 'count');
    for (const k of after.keys()) assert.ok(!before.has(k), `window ${k} emitted before and after the restore`);
    assert.deepEqual(new Map([...before, ...after]), refCount);
    restored.close();
  } finally {
    await ts.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
