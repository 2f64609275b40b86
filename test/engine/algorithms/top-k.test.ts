import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { topK, topKSummary, SketchStateError, TopologyError, type TopKSummary } from '../../../src/index.js';
import { counts, fold, rng, zipf } from './util.js';

/**
 * Checks Space-Saving's guarantees against exact counts: every monitored item brackets its
 * true count, errors and the floor are at most N/capacity, and every item above the floor is
 * monitored.
 */
function checkSummary<T>(s: TopKSummary<T>, exact: Map<T, number>, label: string): void {
  const N = [...exact.values()].reduce((a, b) => a + b, 0);
  const eps = 1e-9 * Math.max(1, N);
  assert.ok(Math.abs(s.total - N) <= eps, `${label}: total ${s.total} != ${N}`);
  assert.ok(s.floor <= N / s.capacity + eps, `${label}: floor ${s.floor} > N/m = ${N / s.capacity}`);
  assert.ok(s.entries.length <= s.capacity);
  const listed = new Set<T>();
  for (const e of s.entries) {
    const f = exact.get(e.item) ?? 0;
    assert.ok(e.count - e.error <= f + eps && f <= e.count + eps, `${label}: ${String(e.item)} true ${f} not in [${e.count - e.error}, ${e.count}]`);
    assert.ok(e.error <= s.floor + eps, `${label}: error ${e.error} above the floor ${s.floor}`);
    assert.ok(e.count >= s.floor - eps, `${label}: count ${e.count} below the floor ${s.floor}`);
    listed.add(e.item);
  }
  for (const [x, f] of exact) if (f > s.floor + eps) assert.ok(listed.has(x), `${label}: ${String(x)} (count ${f} > floor ${s.floor}) not monitored`);
  for (let i = 1; i < s.entries.length; i++) assert.ok(s.entries[i - 1]!.count >= s.entries[i]!.count, 'sorted by count');
}

test('Zipf streams: heavy hitters found, counts bracket the truth, the top 10 is the true top 10', (t) => {
  const r = rng(11);
  for (const [s, capacity] of [
    [0.8, 50],
    [1.1, 100],
    [1.5, 40],
  ] as const) {
    const next = zipf(20_000, s, r);
    const stream = Array.from({ length: 100_000 }, () => `p${next()}`);
    const exact = counts(stream);
    const a = topK((x: string) => x, 10, { capacity });
    const state = fold(a, stream);
    const summary = topKSummary<string>(state);
    checkSummary(summary, exact, `zipf(${s}) m=${capacity}`);
    const top = a.result(state);
    assert.equal(top.length, 10);
    const trueTop = [...exact].sort((x, y) => y[1] - x[1]).slice(0, 10);
    // Items clearly in the true top 10 (count above the 11th's by more than the floor) are found.
    const eleventh = [...exact.values()].sort((x, y) => y - x)[10]!;
    for (const [x, f] of trueTop) if (f > eleventh + summary.floor) assert.ok(top.some((e) => e.item === x), `${x} missing`);
    const maxErr = Math.max(...top.map((e) => e.error));
    t.diagnostic(`zipf(${s}), N=1e5, capacity ${capacity}: floor ${summary.floor} (N/m = ${100_000 / capacity}), largest top-10 error ${maxErr}`);
  }
});

test('adversarial orders: ascending, descending and round-robin streams keep the guarantees', () => {
  const streams: Record<string, number[]> = { asc: [], desc: [], rr: [] };
  for (let i = 0; i < 200; i++) for (let j = 0; j <= i; j++) streams.asc!.push(i);
  streams.desc = [...streams.asc!].reverse();
  for (let j = 0; j < 200; j++) for (let i = j; i < 200; i++) streams.rr!.push(i);
  for (const [name, stream] of Object.entries(streams)) {
    const a = topK((x: number) => x, 5, { capacity: 20 });
    checkSummary(topKSummary<number>(fold(a, stream)), counts(stream), name);
  }
});

const arbStream = fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 5 })), { maxLength: 400 });

test('guarantees hold for any stream and any tree of merges (property)', () => {
  fc.assert(
    fc.property(
      fc.array(arbStream, { minLength: 1, maxLength: 6 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 4, max: 16 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (parts, k, capacity, order) => {
        const a = topK((p: [number, number]) => p[0], k, { capacity, weight: (p) => p[1] });
        const exact = new Map<number, number>();
        for (const part of parts) for (const [x, w] of part) exact.set(x, (exact.get(x) ?? 0) + w);
        // Merge the parts' summaries in an arbitrary order (a random binary tree), adding more
        // records after some merges, as session windows do.
        let states = parts.map((p) => fold(a, p));
        let i = 0;
        while (states.length > 1) {
          const x = order[i++ % Math.max(1, order.length)] ?? 0;
          const at = x % (states.length - 1);
          const merged = a.merge(states[at]!, states[at + 1]!);
          states = [...states.slice(0, at), merged, ...states.slice(at + 2)];
        }
        const summary = topKSummary<number>(states[0]!);
        checkSummary(summary, exact, 'merged');
        const top = a.result(states[0]!);
        assert.deepEqual(top, summary.entries.slice(0, k));
      },
    ),
    { numRuns: 300 },
  );
});

test('an item evicted from both sides is bounded by the sum of their floors', () => {
  const a = topK((x: string) => x, 2, { capacity: 2 });
  const left = ['x', 'a', 'a', 'a', 'b', 'b', 'b'];
  const right = ['x', 'b', 'b', 'a', 'a', 'b', 'a']; // the same two survivors: no pruning at the merge
  const sl = topKSummary<string>(fold(a, left));
  assert.equal(sl.floor, 1);
  assert.ok(!sl.entries.some((e) => e.item === 'x'), 'x was evicted');
  const merged = topKSummary<string>(a.merge(fold(a, left), fold(a, right)));
  // x occurred twice, once on each side, and is in neither summary: the floor must cover it.
  assert.ok(merged.floor >= 2, `floor ${merged.floor}`);
  checkSummary(merged, counts([...left, ...right]), 'both evicted');
});

test('merge of two halves is as good as the whole: same heavy hitters within the bounds', () => {
  const r = rng(5);
  const next = zipf(5000, 1.2, r);
  const stream = Array.from({ length: 40_000 }, () => next());
  const exact = counts(stream);
  const a = topK((x: number) => x, 10, { capacity: 64 });
  const merged = a.merge(fold(a, stream.slice(0, 17_000)), fold(a, stream.slice(17_000)));
  const whole = fold(a, stream);
  checkSummary(topKSummary<number>(merged), exact, 'merged halves');
  assert.deepEqual(
    a.result(merged).slice(0, 5).map((e) => e.item),
    a.result(whole).slice(0, 5).map((e) => e.item),
  );
});

test('items of every kind come back as they went in', () => {
  const items = ['héllo ✓', 3.5, -0.25, 12345678901234567890n, true, false, Buffer.from([0, 1, 255]), ''] as const;
  const a = topK((x: (typeof items)[number]) => x, items.length);
  const s = fold(a, items.flatMap((x, i) => new Array(items.length - i).fill(x)));
  const top = a.result(s);
  assert.deepEqual(
    top.map((e) => e.item),
    [...items],
  );
  assert.deepEqual(
    top.map((e) => e.count),
    items.map((_, i) => items.length - i),
  );
  assert.ok(top.every((e) => e.error === 0));
});

test('state serde: round trip, compact, corrupt bytes rejected; options checked', () => {
  const a = topK((x: string) => x, 2, { capacity: 3 });
  const s = fold(a, ['a', 'b', 'a', 'c', 'd', 'a', 'dd']);
  const bytes = a.stateSerde.serialize(s);
  assert.equal(bytes.length, 28 + 3 * 24 + [2, 2, 3].reduce((x, n) => x + 4 + n, 0), 'header, 3 counters, 3 items');
  const back = a.stateSerde.deserialize(bytes);
  assert.deepEqual(a.result(back), a.result(s));
  assert.deepEqual(a.result(back)[0], { item: 'a', count: 3, error: 0 });
  assert.throws(() => a.stateSerde.deserialize(bytes.subarray(0, bytes.length - 1)), SketchStateError);
  assert.throws(() => topK((x: string) => x, 2, { capacity: 4 }).stateSerde.deserialize(bytes), /capacity/);
  assert.throws(() => a.merge(s, topK((x: string) => x, 2, { capacity: 4 }).init()), /capacity/);
  assert.throws(() => topK(String, 0), TopologyError);
  assert.throws(() => topK(String, 5, { capacity: 4 }), TopologyError);
  assert.equal(a.result(a.add(a.init(), null as unknown as string)).length, 0, 'null items skipped');
});
