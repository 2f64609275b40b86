// The record cache in front of on-disk stores is bounded: windowed aggregates and stream-stream
// joins keep at most `cacheMaxBytes` (estimated) of state in the heap, the store holds the
// whole state, and results are those of the unbounded cache and of a direct computation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamsApp, TopologyTestDriver, json, string, tumbling, windowed } from '../../src/index.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import type { KeyValueStoreFactory } from '../../src/state/kv-store.js';
import { openTaskState, type TaskState } from '../../src/state/local-checkpoint.js';
import { splitKeyWithTime } from '../../src/state/bytes.js';
import { windowEntries } from '../../src/state/window-store.js';
import { decodeState, StoreKeyCodec } from '../../src/engine/codec.js';
import { WindowAggregateOperator } from '../../src/engine/operators/window-aggregate.js';
import { StreamStreamJoinOperator } from '../../src/engine/operators/stream-stream-join.js';
import { rng } from '../support/rng.js';

const SIZE = 10_000;
const OOO = 2_000;
/** Small enough that a few dozen keys fit: thousands of keys must go through the store. */
const BOUND = 16 * 1024;
/** The smallest estimate of a cached key or group (its fixed overhead): the most entries BOUND can hold. */
const MAX_ENTRIES = BOUND / 160;

interface Click {
  user: string;
  ts: number;
}

/** Events in time order, each up to OOO/2 early: none is late. */
function clicks(n: number, users: number, seed: number): Click[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => ({ user: `u${Math.floor(r() * users)}`, ts: Math.max(0, i * 3 - Math.floor((r() * OOO) / 2)) }));
}

type Stores = { kind: 'memory' } | { kind: 'bounded-memory' } | { kind: 'lmdb'; dir: string; states: TaskState[] };

async function storesOf(kind: Stores['kind']): Promise<Stores> {
  if (kind !== 'lmdb') return { kind };
  return { kind, dir: mkdtempSync(join(tmpdir(), 'tributary-cache-')), states: [] };
}

/** The driver's stateStore option: undefined (default in-memory stores), or bounded stores. */
async function factories(s: Stores, taskIds: readonly string[]): Promise<((taskId: string) => KeyValueStoreFactory) | undefined> {
  if (s.kind === 'memory') return undefined;
  if (s.kind === 'bounded-memory') return () => (name) => new InMemoryKeyValueStore(name, { cacheMaxBytes: BOUND });
  const byTask = new Map<string, TaskState>();
  for (const id of taskIds) {
    const ts = await openTaskState(join(s.dir, id), { eos: false, sync: false, cacheMaxBytes: BOUND });
    s.states.push(ts);
    byTask.set(id, ts);
  }
  return (taskId) => byTask.get(taskId)!.factory;
}

async function release(s: Stores): Promise<void> {
  if (s.kind !== 'lmdb') return;
  for (const ts of s.states) await ts.close();
  rmSync(s.dir, { recursive: true, force: true });
}

function windowApp() {
  const app = new StreamsApp({ applicationId: 'cache-windows', maxOutOfOrderness: OOO });
  app
    .stream('clicks', { key: string(), value: json<Click>(), timestamp: (c) => c.ts })
    .groupByKey()
    .window(tumbling(SIZE))
    .count()
    .toStream()
    .to('counts', { value: json() });
  return app;
}

for (const kind of ['memory', 'bounded-memory', 'lmdb'] as const) {
  test(`tumbling count over 2,000 keys (${kind} stores): the cache stays within its bound, the store holds every open window, results are exact`, async () => {
    const events = clicks(20_000, 2_000, 7);
    const stores = await storesOf(kind);
    const stateStore = await factories(stores, ['0_0']);
    const driver = new TopologyTestDriver(windowApp(), stateStore ? { stateStore } : {});
    try {
      const input = driver.input('clicks', { key: string(), value: json<Click>() });
      const op = driver.allTasks[0]!.operators.find((o): o is WindowAggregateOperator => o instanceof WindowAggregateOperator)!;
      const storeName = driver.allTasks[0]!.stores.map((s) => s.name).find((n) => n.includes('count') || n.includes('window'))!;
      const codec = new StoreKeyCodec(string());
      const bounded = kind !== 'memory';
      let maxW = -Infinity;
      for (let i = 0; i < events.length; i += 500) {
        const batch = events.slice(i, i + 500);
        input.pipeAll(batch.map((c) => ({ key: c.user, value: c, timestamp: c.ts })));
        for (const c of batch) maxW = Math.max(maxW, c.ts);
        assert.equal(op.cache.maxBytes, bounded ? BOUND : Infinity);
        if (bounded) {
          assert.ok(op.cache.bytes <= BOUND, `cache holds ${op.cache.bytes} bytes, bound ${BOUND}`);
          assert.ok(op.cache.size <= MAX_ENTRIES, `cache holds ${op.cache.size} keys, at most ${MAX_ENTRIES} fit`);
        }
        if (i === 10_000) {
          // The store (after a flush, as a commit sees it) holds the count of every window the
          // watermark has not closed: computed here from the events so far.
          const W = maxW - OOO;
          const open = new Map<string, number>();
          for (const c of events.slice(0, i + 500)) {
            const start = Math.floor(c.ts / SIZE) * SIZE;
            if (start + SIZE <= W) continue;
            open.set(`${c.user}@${start}`, (open.get(`${c.user}@${start}`) ?? 0) + 1);
          }
          const stored = new Map<string, number>();
          for (const e of windowEntries(driver.stateStores(storeName)[0]!)) {
            const { key, time } = splitKeyWithTime(e.key);
            stored.set(`${codec.decode(key) as string}@${time}`, decodeState<number>(e.value));
          }
          assert.ok(open.size > MAX_ENTRIES * 10, `${open.size} open windows: far more than the cache holds`);
          assert.deepEqual(stored, open);
          if (bounded) assert.ok(op.cache.size < open.size / 10);
          // Timers: one per open window in the store's time index when the cache is bounded
          // (nothing per key in the heap); one per key with an open window in the heap when it is not.
          const openKeys = new Set([...open.keys()].map((k) => k.slice(0, k.lastIndexOf('@'))));
          assert.equal(op.timersInMemory, bounded ? 0 : openKeys.size);
          assert.equal(op.timersInStore(), bounded ? open.size : 0);
        }
      }
      driver.drain();
      if (bounded) assert.ok(op.cache.evictions > 1_000, `${op.cache.evictions} evictions`);
      // Every window's final count, once, as counted directly.
      const expected = new Map<string, number>();
      for (const c of events) {
        const k = `${c.user}@${Math.floor(c.ts / SIZE) * SIZE}`;
        expected.set(k, (expected.get(k) ?? 0) + 1);
      }
      const got = new Map<string, number>();
      for (const r of driver.output('counts', { key: windowed(string()), value: json<number>() }).readRecords()) {
        const w = r.key!;
        const k = `${w.key}@${w.start}`;
        assert.ok(!got.has(k), `${k} emitted twice`);
        got.set(k, r.value!);
      }
      assert.deepEqual(got, expected);
    } finally {
      driver.close();
      await release(stores);
    }
  });
}

interface Side {
  key: string;
  ts: number;
  n: number;
}

function joinApp() {
  const app = new StreamsApp({ applicationId: 'cache-join', maxOutOfOrderness: OOO });
  const l = app.stream('left', { key: string(), value: json<Side>(), timestamp: (v) => v.ts });
  const r = app.stream('right', { key: string(), value: json<Side>(), timestamp: (v) => v.ts });
  l.outerJoin(r, (a, b) => `${a ? a.n : '-'}/${b ? b.n : '-'}`, { within: 3_000, grace: 0 }).to('joined', { value: string() });
  return app;
}

function joinRun(stateStore: ((taskId: string) => KeyValueStoreFactory) | undefined, check: (op: StreamStreamJoinOperator) => void): string[] {
  const r = rng(11);
  const driver = new TopologyTestDriver(joinApp(), stateStore ? { stateStore } : {});
  try {
    const left = driver.input('left', { key: string(), value: json<Side>() });
    const right = driver.input('right', { key: string(), value: json<Side>() });
    const op = driver.allTasks[0]!.operators.find((o): o is StreamStreamJoinOperator => o instanceof StreamStreamJoinOperator)!;
    for (let i = 0; i < 6_000; i += 200) {
      const batch = Array.from({ length: 200 }, (_, j) => {
        const n = i + j;
        return { key: `k${Math.floor(r() * 1_000)}`, value: { key: '', ts: n * 5 + Math.floor(r() * 500), n } };
      });
      (i % 400 === 0 ? left : right).pipeAll(batch.map((b) => ({ key: b.key, value: { ...b.value, key: b.key }, timestamp: b.value.ts })));
      check(op);
    }
    driver.drain();
    check(op);
    return driver.output('joined', { key: string(), value: string() }).readRecords().map((x) => `${x.key}:${x.value}@${x.timestamp}`);
  } finally {
    driver.close();
  }
}

test('windowed outer join over 1,000 keys: bounded caches (in memory and LMDB) give the unbounded results, within their bound', async () => {
  const unbounded = joinRun(undefined, (op) => assert.equal(op.caches[0]!.maxBytes, Infinity));
  assert.ok(unbounded.some((x) => /:\d+\/\d+@/.test(x)) && unbounded.some((x) => x.includes('/-@')) && unbounded.some((x) => x.includes(':-/')));
  for (const kind of ['bounded-memory', 'lmdb'] as const) {
    const stores = await storesOf(kind);
    try {
      let evictions = 0;
      const got = joinRun(await factories(stores, ['0_0']), (op) => {
        for (const c of op.caches) {
          assert.equal(c.maxBytes, BOUND / 2);
          assert.ok(c.bytes <= BOUND / 2, `${kind}: a side's cache holds ${c.bytes} bytes`);
          assert.ok(c.size <= MAX_ENTRIES / 2);
        }
        evictions = op.caches[0]!.evictions + op.caches[1]!.evictions;
      });
      assert.ok(evictions > 500, `${kind}: ${evictions} evictions`);
      assert.deepEqual(got, unbounded, kind);
    } finally {
      await release(stores);
    }
  }
});

test('restored from the changelogs into a bounded cache, a window count continues with the unbounded results', () => {
  const bounded = () => (name: string) => new InMemoryKeyValueStore(name, { cacheMaxBytes: BOUND });
  const events = clicks(8_000, 1_500, 5);
  const feed = (driver: TopologyTestDriver, evs: Click[]) => {
    const input = driver.input('clicks', { key: string(), value: json<Click>() });
    for (let i = 0; i < evs.length; i += 400) input.pipeAll(evs.slice(i, i + 400).map((c) => ({ key: c.user, value: c, timestamp: c.ts })));
  };
  const read = (driver: TopologyTestDriver) =>
    driver
      .output('counts', { key: windowed(string()), value: json<number>() })
      .readRecords()
      .map((r) => `${r.key!.key}@${r.key!.start}=${r.value}`);
  const whole = new TopologyTestDriver(windowApp());
  feed(whole, events);
  whole.drain();
  const expected = read(whole);
  const first = new TopologyTestDriver(windowApp(), { stateStore: bounded });
  feed(first, events.slice(0, 5_000));
  const before = read(first);
  const second = new TopologyTestDriver(windowApp(), { stateStore: bounded, restoreFrom: first.snapshot() });
  feed(second, events.slice(5_000));
  second.drain();
  const op = second.allTasks[0]!.operators.find((o): o is WindowAggregateOperator => o instanceof WindowAggregateOperator)!;
  assert.ok(op.cache.evictions > 100 && op.cache.bytes <= BOUND);
  assert.deepEqual([...before, ...read(second)], expected);
  assert.ok(before.length > 0 && expected.length > before.length);
});
