import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, hopping, json, string, tumbling } from '../../src/index.js';
import { decodeState, encodeState } from '../../src/engine/codec.js';
import { encodeAcc, KeySlab, slotKey } from '../../src/engine/operators/window-aggregate.js';
import { keyWithTime, splitKeyWithTime } from '../../src/state/bytes.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import { isTimeIndexKey } from '../../src/state/window-store.js';

// What the window operator writes at each flush (a commit; the test driver flushes after every
// pipe): the store holds exactly the open windows with their counts, and — with the unbounded
// cache of in-memory stores — the changelog gets exactly one record per window that changed since
// the last flush: the new count, or a tombstone for a window the store had and that closed. A
// window opened and closed between two flushes writes nothing. With a bounded cache (evictions
// write early) the last record per window in each flush's changelog is what the store holds.
// The expectations are computed from the input alone.

const SIZE = 10_000;
const OOO = 3_000;

interface Step {
  /** Records piped together (one flush after them). */
  readonly records: { key: string; ts: number }[];
}

const arbSteps = fc.array(
  fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'dd', 'long-key-' + 'x'.repeat(60)), jump: fc.integer({ min: 0, max: 9_000 }) }), { minLength: 1, maxLength: 12 }),
  { minLength: 1, maxLength: 14 },
);

/** Timestamps that are never late: each is at or after (max so far - OOO), so its window is open. */
function toSteps(raw: { key: string; jump: number }[][]): Step[] {
  let max = 50_000;
  return raw.map((step) => ({
    records: step.map(({ key, jump }) => {
      const ts = max - OOO + jump;
      if (ts > max) max = ts;
      return { key, ts };
    }),
  }));
}

/**
 * Tumbling windows (`pane` SIZE), or hopping ones of SIZE advancing by `pane`: a count keeps one
 * pane per advance, which the store holds as its slots (key@pane start -> count) until the last
 * window holding it closes (pane start + SIZE + grace) — the same expectation as a tumbling
 * window of SIZE at the pane's start. A hopping key changes several slots between flushes (its
 * current pane, the panes closing windows drop).
 */
function build(grace: number, pane: number) {
  const app = new StreamsApp({ applicationId: 'flush' });
  const s = app.stream('events', { key: string(), value: json<number>(), maxOutOfOrderness: OOO });
  s.groupByKey().window(pane === SIZE ? tumbling(SIZE) : hopping(SIZE, pane), { grace }).count({ name: 'counts' }).toStream().to('out', { value: json() });
  return app;
}

/** The store's windows as `key@start` -> count. */
function storeWindows(driver: TopologyTestDriver): Map<string, number> {
  const out = new Map<string, number>();
  for (const store of driver.stateStores('counts')) {
    for (const e of store.all()) {
      if (isTimeIndexKey(e.key)) continue;
      const { key, time } = splitKeyWithTime(e.key);
      out.set(`${key.toString('latin1')}@${time}`, decodeState<number>(e.value));
    }
  }
  return out;
}

function changelogTopic(driver: TopologyTestDriver): string {
  const names = [...driver.snapshot().topics.keys()].filter((t) => t.includes('counts') && t.includes('changelog'));
  assert.equal(names.length, 1, `one changelog topic for 'counts': ${[...driver.snapshot().topics.keys()].join(', ')}`);
  return names[0]!;
}

function run(raw: { key: string; jump: number }[][], grace: number, cacheMaxBytes: number | undefined, pane = SIZE): void {
  const steps = toSteps(raw);
  const driver = new TopologyTestDriver(build(grace, pane), {
    ...(cacheMaxBytes === undefined ? {} : { stateStore: () => (name: string) => new InMemoryKeyValueStore(name, { cacheMaxBytes }) }),
  });
  const input = driver.input<string, number>('events', { key: string(), value: json<number>() });
  const counts = new Map<string, number>(); // every window ever opened: key@start -> count
  let expected = new Map<string, number>(); // open windows after the last flush
  let maxTs = -Infinity;
  let seen = 0;
  for (const step of steps) {
    // One pipe per step: the driver flushes after each pipe.
    input.pipeAll(step.records.map((r) => ({ key: r.key, value: 1, timestamp: r.ts })));
    for (const r of step.records) {
      const w = `${r.key}@${Math.floor(r.ts / pane) * pane}`;
      counts.set(w, (counts.get(w) ?? 0) + 1);
      if (r.ts > maxTs) maxTs = r.ts;
    }
    const W = maxTs - OOO;
    const now = new Map<string, number>();
    for (const [w, n] of counts) {
      const start = Number(w.slice(w.lastIndexOf('@') + 1));
      if (start + SIZE + grace > W) now.set(w, n);
    }
    assert.deepEqual(storeWindows(driver), now, 'the store holds the open windows');

    const log = driver.snapshot().topics.get(changelogTopic(driver))![0]!;
    const fresh = log.slice(seen);
    seen = log.length;
    const last = new Map<string, number | null>();
    const writes = new Map<string, number>();
    for (const r of fresh) {
      const { key, time } = splitKeyWithTime(r.key!);
      const w = `${key.toString('latin1')}@${time}`;
      last.set(w, r.value === null ? null : decodeState<number>(r.value));
      writes.set(w, (writes.get(w) ?? 0) + 1);
    }
    for (const w of new Set([...expected.keys(), ...now.keys()])) {
      const before = expected.get(w);
      const after = now.get(w);
      if (before === after) continue;
      assert.equal(last.get(w), after ?? null, `changelog's last write for ${w}`);
    }
    if (cacheMaxBytes === undefined) {
      // Exactly the changed windows, once each: nothing for windows that did not change (in the
      // store), and nothing for windows opened and closed since the last flush.
      const changed = [...new Set([...expected.keys(), ...now.keys()])].filter((w) => expected.get(w) !== now.get(w));
      assert.deepEqual([...writes.keys()].sort(), changed.sort(), 'one changelog record per changed window');
      for (const [w, n] of writes) assert.equal(n, 1, `${w} written once`);
    }
    expected = now;
  }
  // A restore from the changelog gives the same store.
  const restored = new TopologyTestDriver(build(grace, pane), { restoreFrom: driver.snapshot() });
  assert.deepEqual(storeWindows(restored), expected, 'restored store');
  driver.close();
  restored.close();
}

test('each flush writes the open windows, one changelog record per changed window, no tombstone for unflushed windows', () => {
  fc.assert(
    fc.property(arbSteps, fc.integer({ min: 0, max: 4_000 }), (raw, grace) => run(raw, grace, undefined)),
    { numRuns: 150 },
  );
});

test('hopping panes: each flush writes every changed pane once (current, dropped, out of order), deletes the dropped ones, restores the same', () => {
  fc.assert(
    fc.property(arbSteps, fc.integer({ min: 0, max: 4_000 }), fc.constantFrom(1_000, 2_000, 5_000), (raw, grace, pane) => run(raw, grace, undefined, pane)),
    { numRuns: 150 },
  );
});

test('with a bounded cache (evictions write early) the store and the last changelog write per window are the same', () => {
  fc.assert(
    fc.property(arbSteps, fc.integer({ min: 0, max: 4_000 }), fc.integer({ min: 200, max: 1_000 }), (raw, grace, bound) => run(raw, grace, bound)),
    { numRuns: 100 },
  );
});

test('encodeAcc is encodeState for every number and value, sharing the bytes of small non-negative integers', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.integer({ min: -10, max: 5_000 }), fc.double(), fc.constantFrom(0, -0, 4095, 4096, 0.5, NaN), fc.string(), fc.constant(null), fc.record({ sum: fc.integer(), count: fc.nat() })),
      (v) => {
        assert.deepEqual(encodeAcc(v), encodeState(v));
        assert.ok(Object.is(decodeState(encodeAcc(v)), decodeState(encodeState(v))) || typeof v === 'object' || typeof v === 'string');
      },
    ),
    { numRuns: 3_000 },
  );
  assert.equal(encodeAcc(7), encodeAcc(7), 'one Buffer per small integer');
  assert.notEqual(encodeAcc(-0), encodeAcc(0), '-0 keeps its own bytes');
  assert.deepEqual(encodeAcc(-0), encodeState(-0));
});

test('store keys cut from a KeySlab are keyWithTime(key, start), and later keys never overwrite earlier ones', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 700 }), fc.integer({ min: -(2 ** 40), max: 2 ** 41 })), { minLength: 1, maxLength: 200 }), (items) => {
      const slab = new KeySlab();
      const made = items.map(([bytes, t]) => slotKey(Buffer.from(bytes).toString('latin1'), t, slab));
      // Checked after every key was made: a key overwritten by a later one from the same slab fails here.
      items.forEach(([bytes, t], i) => assert.deepEqual(made[i], keyWithTime(Buffer.from(bytes), t)));
    }),
    { numRuns: 300 },
  );
});
