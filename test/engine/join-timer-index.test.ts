// Stream-stream join expiry timers follow the record cache, as window timers do: with a bounded
// cache (on-disk stores) they live in each side's store as a time index ([expiry][key], not
// changelogged, rebuilt after a restore), nothing per key in the heap; with an unbounded one, in
// the heap's queues. Either way, and across restores that switch between the two, the outputs are
// those of the in-memory join run straight through (same records, same order), they equal the
// reference, and there is exactly one timer per (side, key, event time) with buffered records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, json, string } from '../../src/index.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import type { KeyValueStore, KeyValueStoreFactory } from '../../src/state/kv-store.js';
import { openTaskState, type TaskState } from '../../src/state/local-checkpoint.js';
import { isTimeIndexKey } from '../../src/state/window-store.js';
import { StreamStreamJoinOperator } from '../../src/engine/operators/stream-stream-join.js';
import { joinReference, type JoinSide } from './reference.js';

type Side = JoinSide;

const WITHIN = 3_000;
const GRACE = 500;
const OOO = 2_000;
/** A couple of groups per side: most keys are read back from the store. */
const BOUND = 1_000;
const STORES = ['pairs-left', 'pairs-right'] as const;

function build(): StreamsApp {
  const app = new StreamsApp({ applicationId: 'join-timer-index', maxOutOfOrderness: OOO });
  const l = app.stream('left', { key: string(), value: json<Side>(), timestamp: (v) => v.ts });
  const r = app.stream('right', { key: string(), value: json<Side>(), timestamp: (v) => v.ts });
  l.outerJoin(r, (a, b) => `${a ? a.n : '-'}/${b ? b.n : '-'}`, { within: WITHIN, grace: GRACE, name: 'pairs' }).to('out', { value: string() });
  return app;
}

function reference(events: readonly Side[]): string[] {
  return joinReference(events, 'outer', { within: WITHIN, grace: GRACE, maxOutOfOrderness: OOO }).out;
}

type Kind = 'unbounded' | 'bounded';
const storesOf = (kind: Kind): { stateStore?: () => KeyValueStoreFactory } =>
  kind === 'bounded' ? { stateStore: () => (name) => new InMemoryKeyValueStore(name, { cacheMaxBytes: BOUND }) } : {};

function pipe(driver: TopologyTestDriver, events: readonly Side[]): void {
  const li = driver.input('left', { key: string(), value: json<Side>() });
  const ri = driver.input('right', { key: string(), value: json<Side>() });
  for (const e of events) (e.side === 'L' ? li : ri).pipe({ key: e.key, value: e });
}

function outputs(driver: TopologyTestDriver): string[] {
  return driver
    .output('out', { key: string(), value: string() })
    .readRecords()
    .map((r) => `${r.key}:${r.value}@${r.timestamp}`);
}

/** The in-memory join run straight through: its outputs, checked against the reference. */
function straightRun(events: readonly Side[]): string[] {
  const straight = new TopologyTestDriver(build());
  pipe(straight, events);
  straight.drain();
  const expected = outputs(straight);
  straight.close();
  assert.deepEqual([...expected].sort(), reference(events));
  return expected;
}

function joinOp(driver: TopologyTestDriver): StreamStreamJoinOperator {
  driver.allTasks[0]!.process([]); // opens a restored task's operators (the driver opens at the first call)
  const op = driver.allTasks[0]!.operators.find((o): o is StreamStreamJoinOperator => o instanceof StreamStreamJoinOperator);
  assert.ok(op);
  return op;
}

/** Index entries in the join's stores (not the marker, which is the bare prefix). */
function indexEntries(stores: readonly KeyValueStore[]): number {
  let n = 0;
  for (const s of stores) for (const e of s.all()) if (isTimeIndexKey(e.key) && e.key.length > 4) n++;
  return n;
}

/** Distinct (side, key, event time) of the buffered records in the stores: store keys without their 4-byte sequence. */
function bufferedTimes(stores: readonly KeyValueStore[]): number {
  let n = 0;
  for (const s of stores) {
    const seen = new Set<string>();
    for (const e of s.all()) if (!isTimeIndexKey(e.key)) seen.add(e.key.subarray(0, e.key.length - 4).toString('hex'));
    n += seen.size;
  }
  return n;
}

function joinStores(driver: TopologyTestDriver): KeyValueStore[] {
  return STORES.map((name) => driver.stateStores(name)[0]!);
}

/** After a commit (the driver flushes after each pipe): one timer per buffered (side, key, time), in the heap or in the stores. */
function checkTimers(driver: TopologyTestDriver, kind: Kind | 'lmdb'): number {
  const op = joinOp(driver);
  const stores = joinStores(driver);
  const expected = bufferedTimes(stores);
  const inHeap = kind === 'unbounded';
  assert.equal(op.timersInMemory, inHeap ? expected : 0, 'timers held in the heap');
  assert.equal(op.timersInStore(), inHeap ? 0 : expected, "timers in the stores' indexes");
  assert.equal(indexEntries(stores), inHeap ? 0 : expected, 'index entries');
  return expected;
}

const arbEvents = fc.array(
  fc.record({
    side: fc.constantFrom<'L' | 'R'>('L', 'R'),
    key: fc.constantFrom('a', 'b', 'c', 'dd', 'eee', 'f'),
    // Whole seconds often: several records of one key at the same event time share a timer.
    ts: fc.oneof(fc.integer({ min: 0, max: 40_000 }), fc.integer({ min: 0, max: 40 }).map((s) => s * 1_000)),
    n: fc.integer({ min: 0, max: 999 }),
  }),
  { minLength: 1, maxLength: 80 },
);

test('join timers in the store index (bounded cache) or in the heap (unbounded): one per buffered (side, key, time); outputs equal the in-memory run across restores that switch between the two', () => {
  fc.assert(
    fc.property(
      arbEvents,
      fc.nat(),
      fc.constantFrom<[Kind, Kind]>(['bounded', 'bounded'], ['unbounded', 'bounded'], ['bounded', 'unbounded'], ['bounded', 'bounded']),
      (events, cut, [k1, k2]) => {
        const expected = straightRun(events);

        const at = cut % (events.length + 1);
        const first = new TopologyTestDriver(build(), storesOf(k1));
        pipe(first, events.slice(0, at));
        const buffered = checkTimers(first, k1);
        const before = outputs(first);
        // Restored from the changelogs (the index rebuilt at open, or deleted at open).
        const second = new TopologyTestDriver(build(), { ...storesOf(k2), restoreFrom: first.snapshot() });
        assert.equal(checkTimers(second, k2), buffered, 'the restore buffers the same records');
        outputs(second); // the first driver's outputs, if the snapshot carried them over
        pipe(second, events.slice(at));
        checkTimers(second, k2);
        second.drain();
        assert.equal(checkTimers(second, k2), 0);
        assert.deepEqual([...before, ...outputs(second)], expected);
        first.close();
        second.close();
      },
    ),
    { numRuns: 100 },
  );
});

/** Many keys, several records per key and time, both sides interleaved in chunks, mostly in time order. */
function manyKeys(n: number, keys: number): Side[] {
  return Array.from({ length: n }, (_, i) => ({
    side: Math.floor(i / 50) % 2 === 0 ? 'L' : 'R',
    key: `k${(i * 7919) % keys}`,
    ts: Math.max(0, i * 2 - ((i * 104_729) % 1_500)) - (((i * 7919) % keys) % 3 === 0 ? (i * 2) % 4 : 0),
    n: i,
  }));
}

/** Runs `body` with a temporary directory of LMDB task states (`lmdbStores(name, cacheMaxBytes)` opens one); closes and removes them after. */
async function withLmdb(body: (lmdbStores: (name: string, cacheMaxBytes: number) => Promise<() => KeyValueStoreFactory>) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-join-index-'));
  const states: TaskState[] = [];
  try {
    await body(async (name, cacheMaxBytes) => {
      const ts = await openTaskState(join(dir, name), { eos: false, sync: false, cacheMaxBytes });
      states.push(ts);
      return () => ts.factory;
    });
  } finally {
    for (const s of states) await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('LMDB stores: 1,500 keys, no join timer in the heap; restored from the changelogs, the rebuilt index expires every record once', () =>
  withLmdb(async (lmdbStores) => {
    const events = manyKeys(8_000, 1_500);
    const expected = straightRun(events);

    const at = 5_000;
    const first = new TopologyTestDriver(build(), { stateStore: await lmdbStores('a', 16 * 1024) });
    pipe(first, events.slice(0, at));
    const buffered = checkTimers(first, 'lmdb');
    assert.ok(buffered >= 2_000, `${buffered} buffered (side, key, time)`);
    const op = joinOp(first);
    assert.ok(op.caches[0]!.evictions + op.caches[1]!.evictions > 1_000, 'groups went through the store');
    for (const c of op.caches) assert.ok(c.bytes <= c.maxBytes);
    const before = outputs(first);
    first.close();
    const second = new TopologyTestDriver(build(), { stateStore: await lmdbStores('b', 16 * 1024), restoreFrom: first.snapshot() });
    assert.equal(checkTimers(second, 'lmdb'), buffered);
    outputs(second);
    pipe(second, events.slice(at));
    second.drain();
    assert.equal(checkTimers(second, 'lmdb'), 0);
    assert.deepEqual([...before, ...outputs(second)], expected);
    second.close();
  }));

test('LMDB join stores reopened without a restore keep their index as it is; a restore rebuilds it from the buffered records', () =>
  withLmdb(async (lmdbStores) => {
    const events = manyKeys(3_000, 400);
    const expected = straightRun(events);

    const stores = await lmdbStores('task', 4 * 1024);
    const at = 1_800;
    const first = new TopologyTestDriver(build(), { stateStore: stores });
    pipe(first, events.slice(0, at));
    const buffered = checkTimers(first, 'lmdb');
    const before = outputs(first);
    first.close();
    // Lose one timer of each side behind the index's back (entries are 4 + 8 + 4 + key bytes).
    for (const name of STORES) {
      const s = stores()(name);
      for (const e of s.range(Buffer.from([0xff, 0xff, 0xff, 0xff, 0]), undefined)) {
        s.delete(e.key);
        break;
      }
    }
    // Same environment, nothing restored: the index is trusted as it is, not rebuilt.
    const reopened = new TopologyTestDriver(build(), { stateStore: stores });
    assert.equal(joinOp(reopened).timersInStore(), buffered - 2);
    reopened.close();
    // Restored from the changelogs (into the same stores): the index is rebuilt, the lost timers are back.
    const restored = new TopologyTestDriver(build(), { stateStore: stores, restoreFrom: first.snapshot() });
    assert.equal(checkTimers(restored, 'lmdb'), buffered);
    outputs(restored);
    pipe(restored, events.slice(at));
    restored.drain();
    assert.deepEqual([...before, ...outputs(restored)], expected);
    restored.close();
  }));
