import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { countMin, SketchStateError, TopologyError } from '../../../src/index.js';
import { counts, fold, rng, zipf } from './util.js';

test('never under-estimates, for any stream and weights (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), fc.integer({ min: 0, max: 100 })), { maxLength: 300 }),
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      (pairs, seed) => {
        const a = countMin((p: [string, number]) => p[0], { epsilon: 0.3, delta: 0.3, seed, weight: (p) => p[1] });
        const sketch = a.result(fold(a, pairs));
        const exact = counts(pairs.map((p) => p[0]));
        const weighted = new Map<string, number>();
        for (const [x, w] of pairs) weighted.set(x, (weighted.get(x) ?? 0) + w);
        for (const x of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'absent']) assert.ok(sketch.estimate(x) >= (weighted.get(x) ?? 0));
        assert.equal(sketch.total, [...weighted.values()].reduce((s, w) => s + w, 0));
        assert.ok(exact.size <= 7);
      },
    ),
    { numRuns: 200 },
  );
});

test('over-estimates by more than ε·N with probability at most δ, over repeated seeds', (t) => {
  // A skewed stream with a long tail: 10k records over 2k items; queries for every item and
  // for 500 absent ones, under 60 hash seeds.
  const r = rng(1);
  const next = zipf(2000, 1.05, r);
  const stream = Array.from({ length: 10_000 }, () => `item-${next()}`);
  const exact = counts(stream);
  const queries = [...Array.from({ length: 2000 }, (_, i) => `item-${i}`), ...Array.from({ length: 500 }, (_, i) => `absent-${i}`)];
  for (const { epsilon, delta } of [
    { epsilon: 0.001, delta: 0.05 },
    { epsilon: 0.002, delta: 0.2 },
    { epsilon: 0.01, delta: 0.01 },
  ]) {
    let failures = 0;
    let trials = 0;
    let worst = 0;
    for (let seed = 0; seed < 60; seed++) {
      const a = countMin(String, { epsilon, delta, seed });
      const sketch = a.result(fold(a, stream));
      for (const q of queries) {
        const f = exact.get(q) ?? 0;
        const over = sketch.estimate(q) - f;
        assert.ok(over >= 0, 'never under');
        if (over > epsilon * stream.length) failures++;
        worst = Math.max(worst, over / stream.length);
        trials++;
      }
    }
    const rate = failures / trials;
    t.diagnostic(`ε=${epsilon} δ=${delta}: P(error > εN) = ${rate.toFixed(5)}, worst error ${(worst / epsilon).toFixed(2)}·εN`);
    assert.ok(rate <= delta, `ε=${epsilon} δ=${delta}: ${failures}/${trials} estimates exceeded ε·N`);
  }
});

test('the rows are independent: error exceedances match a sketch with truly random columns', (t) => {
  // With d rows, an estimate fails only if every row fails. With a depth-1 sketch, measure the
  // per-row failure rate p; a depth-3 sketch must then fail at about p^3 (not p, as it would if
  // rows collided together).
  const r = rng(3);
  const stream = Array.from({ length: 5000 }, () => `u${Math.floor(r() * 2000)}`);
  const exact = counts(stream);
  const queries = Array.from({ length: 2000 }, (_, i) => `u${i}`);
  let over1 = 0;
  let expected1 = 0;
  const rate = (depthDelta: number): number => {
    let fails = 0;
    let n = 0;
    for (let seed = 0; seed < 40; seed++) {
      const a = countMin(String, { epsilon: 0.00272, delta: depthDelta, seed }); // 1000 columns
      const s = a.result(fold(a, stream));
      for (const q of queries) {
        const over = s.estimate(q) - (exact.get(q) ?? 0);
        if (over > 5) fails++;
        if (s.depth === 1) {
          over1 += over;
          expected1 += (stream.length - (exact.get(q) ?? 0)) / s.width;
        }
        n++;
      }
    }
    return fails / n;
  };
  const p1 = rate(0.5); // ln(2) -> 1 row
  const p3 = rate(0.06); // ln(1/0.06) = 2.8 -> 3 rows
  // Uniform columns: a row over-counts an item by the rest of the stream over the width, on average.
  assert.ok(Math.abs(over1 / expected1 - 1) < 0.05, `mean over-count ${over1 / expected1} of (N - f)/w`);
  t.diagnostic(`one row fails at ${p1.toFixed(4)}, three rows at ${p3.toFixed(4)} (independent: ${(p1 ** 3).toFixed(4)})`);
  assert.ok(p1 > 0.2 && p1 < 0.8, `per-row failure rate ${p1} (the test needs some collisions)`);
  assert.ok(p3 > 0.5 * p1 ** 3 && p3 < 1.5 * p1 ** 3, `3 rows fail at ${p3}, one row at ${p1}`);
});

test('counters widen 1 -> 2 -> 4 -> 8 bytes as they grow; estimates stay right', () => {
  const a = countMin((x: [string, number]) => x[0], { epsilon: 0.5, delta: 0.5, weight: (x) => x[1] });
  let s = a.init();
  const cells = 6 * 1;
  assert.equal(s.length, 20 + cells);
  s = a.add(s, ['x', 200]);
  assert.equal(s.length, 20 + cells);
  s = a.add(s, ['x', 100]);
  assert.equal(s.length, 20 + cells * 2);
  s = a.add(s, ['y', 70_000]);
  assert.equal(s.length, 20 + cells * 4);
  s = a.add(s, ['y', 2 ** 32]);
  assert.equal(s.length, 20 + cells * 8);
  s = a.add(s, ['z', 0.5]);
  const r = a.result(s);
  assert.ok(r.estimate('x') >= 300);
  assert.ok(r.estimate('y') >= 70_000 + 2 ** 32);
  assert.equal(r.total, 300 + 70_000 + 2 ** 32 + 0.5);
  // A fractional weight in a narrow sketch goes straight to float counters.
  const f = a.add(a.init(), ['q', 0.25]);
  assert.equal(f.length, 20 + cells * 8);
  assert.equal(a.result(f).estimate('q'), 0.25);
});

test('merge is the sketch of both streams (counter for counter), across counter widths', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 1000 })), { maxLength: 200 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 1000 })), { maxLength: 200 }),
      (xs, ys) => {
        const a = countMin((p: [number, number]) => p[0], { epsilon: 0.05, delta: 0.1, weight: (p) => p[1] });
        const whole = a.result(fold(a, [...xs, ...ys]));
        const merged = a.result(a.merge(fold(a, xs), fold(a, ys)));
        const back = a.result(a.merge(fold(a, ys), fold(a, xs)));
        for (let i = 0; i <= 51; i++) {
          assert.equal(merged.estimate(i), whole.estimate(i));
          assert.equal(back.estimate(i), whole.estimate(i));
        }
        assert.equal(merged.total, whole.total);
      },
    ),
    { numRuns: 100 },
  );
});

test('state serde round trip; wrong shape, seed or bytes rejected; options checked', () => {
  const a = countMin((x: string) => x, { epsilon: 0.01, delta: 0.01, seed: 9 });
  assert.equal(a.init().length, 20 + 272 * 5, 'ε=0.01, δ=0.01: 272 × 5 one-byte counters');
  const s = fold(a, ['a', 'b', 'a', 'c']);
  const back = a.stateSerde.deserialize(a.stateSerde.serialize(s));
  assert.equal(a.result(back).estimate('a'), a.result(s).estimate('a'));
  assert.deepEqual(back, s);
  assert.throws(() => countMin((x: string) => x, { epsilon: 0.01, delta: 0.01 }).stateSerde.deserialize(s), /seed/);
  assert.throws(() => countMin((x: string) => x, { epsilon: 0.02, delta: 0.01, seed: 9 }).stateSerde.deserialize(s), SketchStateError);
  assert.throws(() => a.stateSerde.deserialize(s.subarray(0, s.length - 1)), /length/);
  assert.throws(() => a.merge(s, countMin((x: string) => x, { epsilon: 0.01, delta: 0.01 }).init()), /seed/);
  assert.throws(() => countMin(String, { epsilon: 0, delta: 0.1 }), TopologyError);
  assert.throws(() => countMin(String, { epsilon: 0.1, delta: 1 }), TopologyError);
  const negative = countMin(String, { epsilon: 0.1, delta: 0.1, weight: () => -1 });
  assert.throws(() => negative.add(negative.init(), 'x'), /weight/);
  assert.deepEqual(JSON.parse(JSON.stringify(a.result(s))), { total: 4, epsilon: 0.01, delta: 0.01, width: 272, depth: 5 });
});
