// Window slots and join buffers expire without changelog tombstones (Kafka Streams' window and
// join stores): a closed window / an expired join record is dropped from the local store only,
// its changelog records stay until the topic's retention removes them, and a restore drops what
// the restored watermark has already closed or expired. Checked here, over out-of-order input with
// grace and late records, in-memory (unbounded cache: timers in the heap), bounded in-memory
// (timers in the store's time index) and LMDB stores:
// - a run that crashes at random points between commits and restores from its changelogs (from
//   scratch, or a local checkpoint plus the changelog tail) emits exactly what an uninterrupted run
//   emits, and ends with the same store;
// - the changelogs of those stores hold no tombstones at all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, hopping, json, string, tumbling, windowed, type DriverSnapshot } from '../../src/index.js';
import { openTaskState, type TaskState } from '../../src/state/local-checkpoint.js';
import type { KeyValueStore, KeyValueStoreFactory } from '../../src/state/kv-store.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import { isTimeIndexKey } from '../../src/state/window-store.js';
import { changelogLengths, changelogTail, copyStores, keptBoundedStores } from '../support/restore-snapshots.js';

const OOO = 1_000;
const BOUND = 600;

interface Ev {
  readonly side: 'L' | 'R';
  readonly key: string;
  readonly ts: number;
}

/**
 * Steps of events (one commit after each step): timestamps wander forward, up to OOO behind the
 * maximum and sometimes far behind it (late for every window or join partner).
 */
const arbSteps = fc
  .array(
    fc.array(
      fc.record({
        side: fc.constantFrom<'L' | 'R'>('L', 'R'),
        key: fc.constantFrom('a', 'b', 'c', 'dd', 'k-' + 'x'.repeat(40)),
        jump: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: -OOO, max: 2_500 }) }, { weight: 1, arbitrary: fc.integer({ min: -20_000, max: -OOO }) }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
    { minLength: 2, maxLength: 14 },
  )
  .map((raw) => {
    let max = 100_000;
    return raw.map((step) =>
      step.map(({ side, key, jump }) => {
        const ts = Math.max(0, max + jump);
        if (ts > max) max = ts;
        return { side, key, ts };
      }),
    );
  });

type StoreKind = 'memory' | 'bounded' | 'lmdb';

interface Case {
  readonly name: string;
  /** The app; its changelogged stores named in `stores`, its results in topic 'out' as strings. */
  build(): StreamsApp;
  readonly stores: readonly string[];
  pipe(d: TopologyTestDriver, events: readonly Ev[]): void;
  outputs(d: TopologyTestDriver): string[];
}

function windowCase(kind: 'tumbling' | 'hopping', grace: number): Case {
  return {
    name: `${kind} count, grace ${grace}`,
    build() {
      const app = new StreamsApp({ applicationId: 'expiring', maxOutOfOrderness: OOO });
      app
        .stream('events', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts })
        .groupByKey()
        .window(kind === 'tumbling' ? tumbling(5_000) : hopping(6_000, 2_000), { grace })
        .count({ name: 'counts' })
        .toStream()
        .to('out', { key: windowed(string()), value: json() });
      return app;
    },
    stores: ['counts'],
    pipe(d, events) {
      d.input('events', { key: string(), value: json<Ev>() }).pipeAll(events.map((e) => ({ key: e.key, value: e })));
    },
    outputs(d) {
      return d
        .output('out', { key: windowed(string()), value: json<number>() })
        .readRecords()
        .map((r) => `${r.key!.key}@${r.key!.start}:${r.value}@${r.timestamp}`);
    },
  };
}

function joinCase(grace: number): Case {
  return {
    name: `outer join, grace ${grace}`,
    build() {
      const app = new StreamsApp({ applicationId: 'expiring', maxOutOfOrderness: OOO });
      const l = app.stream('left', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts });
      const r = app.stream('right', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts });
      l.outerJoin(r, (a, b) => `${a ? a.ts : '-'}/${b ? b.ts : '-'}`, { within: 2_000, grace, name: 'pairs' }).to('out', { value: string() });
      return app;
    },
    stores: ['pairs-left', 'pairs-right'],
    pipe(d, events) {
      // One pipe per side and step: one commit each (the order within a side is kept).
      for (const side of ['L', 'R'] as const) {
        const part = events.filter((e) => e.side === side);
        if (part.length > 0) d.input(side === 'L' ? 'left' : 'right', { key: string(), value: json<Ev>() }).pipeAll(part.map((e) => ({ key: e.key, value: e })));
      }
    },
    outputs(d) {
      return d
        .output('out', { key: string(), value: string() })
        .readRecords()
        .map((r) => `${r.key}:${r.value}@${r.timestamp}`);
    },
  };
}

/** Stores for one driver: each kind's factory, the stores made (by name), and what to release after. */
class Stores {
  readonly made = new Map<string, InMemoryKeyValueStore>();
  private state: TaskState | undefined;
  private dir: string | undefined;

  private constructor(readonly kind: StoreKind) {}

  /** `from`: a local checkpoint (bounded in-memory stores only) the new stores start with. */
  static async open(kind: StoreKind, from?: ReadonlyMap<string, InMemoryKeyValueStore>): Promise<Stores> {
    const s = new Stores(kind);
    if (kind === 'lmdb') {
      s.dir = mkdtempSync(join(tmpdir(), 'tributary-expiring-'));
      s.state = await openTaskState(join(s.dir, '0_0'), { eos: false, sync: false, cacheMaxBytes: BOUND });
    }
    s.from = from;
    return s;
  }

  private from: ReadonlyMap<string, InMemoryKeyValueStore> | undefined;

  /** The driver's stateStore option (undefined: its default in-memory stores). */
  get option(): ((taskId: string) => KeyValueStoreFactory) | undefined {
    if (this.kind === 'memory') return undefined;
    if (this.kind === 'lmdb') return () => this.state!.factory;
    return keptBoundedStores(BOUND, this.made, this.from);
  }

  async release(): Promise<void> {
    await this.state?.close();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The changelogs a restored driver's stores stand on: what it was restored from, then what it
 * wrote (a driver's snapshot holds its own writes only).
 */
function appended(base: DriverSnapshot | undefined, snap: DriverSnapshot): DriverSnapshot {
  if (!base) return snap;
  const topics = new Map(base.topics);
  for (const [t, ps] of snap.topics) {
    const before = base.topics.get(t) ?? [];
    topics.set(t, Array.from({ length: Math.max(before.length, ps.length) }, (_, p) => [...(before[p] ?? []), ...(ps[p] ?? [])]));
  }
  return { topics };
}

/** A store's entries without its time index, as "hex key=hex value", sorted. */
function entries(store: KeyValueStore): string[] {
  const out: string[] = [];
  for (const e of store.all()) if (!isTimeIndexKey(e.key)) out.push(`${e.key.toString('hex')}=${e.value.toString('hex')}`);
  return out.sort();
}

function assertNoTombstones(c: Case, snap: DriverSnapshot): void {
  for (const name of c.stores) {
    const log = snap.topics.get(`expiring-${name}-changelog`)?.[0] ?? [];
    for (const r of log) assert.notEqual(r.value, null, `${name}: no tombstone in the changelog`);
  }
}

/**
 * Runs `steps` straight, and again with a crash (a new driver restored from the changelogs,
 * optionally over a local checkpoint taken at an earlier commit) after each step in `crashes`.
 */
async function crashAndCompare(c: Case, kind: StoreKind, steps: readonly (readonly Ev[])[], crashes: ReadonlySet<number>, tail: boolean): Promise<void> {
  const straightStores = await Stores.open(kind);
  const opened: Stores[] = [straightStores];
  try {
    const straight = new TopologyTestDriver(c.build(), { stateStore: straightStores.option });
    for (const step of steps) c.pipe(straight, step);
    const expected = c.outputs(straight);
    const expectedDead = straight.deadLetters().length;

    let stores = await Stores.open(kind);
    opened.push(stores);
    let d = new TopologyTestDriver(c.build(), { stateStore: stores.option });
    const got: string[] = [];
    let dead = 0;
    // A local checkpoint (bounded in-memory stores): the stores and changelog lengths at the commit before a crash.
    let checkpoint: { stores: Map<string, InMemoryKeyValueStore>; at: Map<string, number> } | undefined;
    let base: DriverSnapshot | undefined;
    for (let i = 0; i < steps.length; i++) {
      if (tail && kind === 'bounded' && i % 2 === 0) checkpoint = { stores: copyStores(stores.made), at: changelogLengths(appended(base, d.snapshot())) };
      c.pipe(d, steps[i]!);
      if (!crashes.has(i)) continue;
      const snap = appended(base, d.snapshot());
      base = snap;
      assertNoTombstones(c, snap);
      got.push(...c.outputs(d));
      dead += d.deadLetters().length;
      d.close();
      const local = tail && checkpoint !== undefined;
      stores = await Stores.open(kind, local ? checkpoint!.stores : undefined);
      opened.push(stores);
      d = new TopologyTestDriver(c.build(), { stateStore: stores.option, restoreFrom: local ? changelogTail(snap, checkpoint!.at) : snap });
      checkpoint = undefined;
    }
    got.push(...c.outputs(d));
    dead += d.deadLetters().length;
    assert.deepEqual(got, expected, 'the same results as the run that never stopped');
    assert.equal(dead, expectedDead, 'the same late records');
    assertNoTombstones(c, appended(base, d.snapshot()));
    assertNoTombstones(c, straight.snapshot());
    // Tasks open at their first call: then the restored stores hold what the straight run's hold.
    d.advanceWallClock(0);
    for (const name of c.stores) {
      assert.deepEqual(entries(d.stateStores(name)[0]!), entries(straight.stateStores(name)[0]!), `${name}: the same store`);
    }
    straight.close();
    d.close();
  } finally {
    for (const s of opened) await s.release();
  }
}

const arbCrashes = fc.uniqueArray(fc.nat({ max: 13 }), { maxLength: 5 }).map((a) => new Set(a));

for (const kind of ['memory', 'bounded', 'lmdb'] as const) {
  test(`windows (${kind} stores): crashes between commits and restores give the straight run's results, with no tombstones in the changelog`, async () => {
    await fc.assert(
      fc.asyncProperty(arbSteps, arbCrashes, fc.constantFrom<'tumbling' | 'hopping'>('tumbling', 'hopping'), fc.integer({ min: 0, max: 3_000 }), fc.boolean(), async (steps, crashes, wk, grace, tail) => {
        await crashAndCompare(windowCase(wk, grace), kind, steps, crashes, tail);
      }),
      { numRuns: kind === 'lmdb' ? 25 : 60 },
    );
  });

  test(`stream-stream outer join (${kind} stores): crashes between commits and restores give the straight run's results, with no tombstones in the changelog`, async () => {
    await fc.assert(
      fc.asyncProperty(arbSteps, arbCrashes, fc.integer({ min: 0, max: 2_000 }), fc.boolean(), async (steps, crashes, grace, tail) => {
        await crashAndCompare(joinCase(grace), kind, steps, crashes, tail);
      }),
      { numRuns: kind === 'lmdb' ? 25 : 60 },
    );
  });
}

test('a restore after many closed windows drops them at open: the store holds only open windows, though the changelog still has their counts', () => {
  const c = windowCase('tumbling', 0);
  const d = new TopologyTestDriver(c.build());
  // 200 windows of one key, each closed by the next one's records (5 s windows, 1 s out-of-orderness).
  for (let w = 0; w < 200; w++) c.pipe(d, [{ side: 'L', key: 'a', ts: w * 5_000 }, { side: 'L', key: 'a', ts: w * 5_000 + 1 }]);
  const snap = d.snapshot();
  const log = snap.topics.get('expiring-counts-changelog')![0]!;
  assert.equal(log.length, 200, 'one put per window, no tombstone');
  // The last two: the one before closes when the watermark (max - 1 s) reaches its end.
  assert.equal(entries(d.stateStores('counts')[0]!).length, 2, 'the straight run holds the open windows only');
  const restored = new TopologyTestDriver(c.build(), { restoreFrom: snap });
  assert.equal(entries(restored.stateStores('counts')[0]!).length, 200, 'the restore applies every put');
  restored.advanceWallClock(0);
  assert.deepEqual(entries(restored.stateStores('counts')[0]!), entries(d.stateStores('counts')[0]!), 'open() dropped the 198 closed windows');
  // The restored run goes on as the straight one: the open windows close once, with their counts.
  c.pipe(d, [{ side: 'L', key: 'a', ts: 2_000_000 }]);
  c.pipe(restored, [{ side: 'L', key: 'a', ts: 2_000_000 }]);
  const after = c.outputs(restored);
  assert.equal(after.length, 2);
  assert.deepEqual(after, c.outputs(d).slice(198));
  d.close();
  restored.close();
});
