import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { quantiles, SketchStateError, TopologyError, type TDigest } from '../../../src/index.js';
import { fold, rankError, rng } from './util.js';

const QS = [0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

/** The documented bound: the k1 scale's largest centroid span at q, 2π·√(q(1-q))/δ, plus one value. */
const bound = (q: number, delta: number, n: number) => (2 * Math.PI * Math.sqrt(q * (1 - q))) / delta + 1 / n;

function worstRankError(td: TDigest, sorted: Float64Array, delta: number): { worst: number; ratio: number } {
  let worst = 0;
  let ratio = 0;
  for (const q of QS) {
    const e = rankError(sorted, td.quantile(q), q);
    worst = Math.max(worst, e);
    ratio = Math.max(ratio, e / bound(q, delta, sorted.length));
  }
  return { worst, ratio };
}

const r = rng(2024);
const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const distributions: Record<string, () => number> = {
  uniform: () => r(),
  exponential: () => -Math.log(1 - r()),
  'lognormal(σ=3)': () => Math.exp(3 * normal()),
  'pareto(α=1)': () => 1 / (1 - r()),
  'discrete(10 values)': () => Math.floor(r() * 10),
  'latency mix': () => (r() < 0.97 ? 5 + 20 * r() : 200 + 2000 * r()),
};

test('rank error within the stated bound for uniform, skewed and discrete data, δ = 50, 100, 300', (t) => {
  for (const delta of [50, 100, 300]) {
    for (const [name, gen] of Object.entries(distributions)) {
      const data = Float64Array.from({ length: 50_000 }, gen);
      const a = quantiles((x: number) => x, { compression: delta });
      const td = a.result(fold(a, data));
      const sorted = data.slice().sort();
      const { worst, ratio } = worstRankError(td, sorted, delta);
      if (delta === 100) t.diagnostic(`δ=100 ${name}: worst rank error ${(worst * 100).toFixed(3)}% (${(ratio * 100).toFixed(0)}% of the bound)`);
      assert.ok(ratio <= 1, `δ=${delta} ${name}: rank error ${worst} above the bound`);
      assert.equal(td.min, sorted[0]);
      assert.equal(td.max, sorted[sorted.length - 1]);
      assert.equal(td.count, data.length);
    }
  }
});

test('sorted and reverse-sorted input (worst case for clustering) stays within the bound', () => {
  for (const dir of [1, -1]) {
    const data = Float64Array.from({ length: 30_000 }, (_, i) => dir * i);
    const a = quantiles((x: number) => x);
    const td = a.result(fold(a, data));
    assert.ok(worstRankError(td, data.slice().sort(), 100).ratio <= 1);
  }
});

test('merging parts (any split, any order) stays within the bound', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 1000 }), (cuts, seed) => {
      const g = rng(seed);
      const data = Float64Array.from({ length: 20_000 }, () => Math.exp(2 * g()) * (g() < 0.5 ? 1 : 10));
      const a = quantiles((x: number) => x);
      const points = [0, ...[...new Set(cuts)].sort((x, y) => x - y), data.length];
      const parts = points.slice(1).map((end, i) => fold(a, data.subarray(points[i]!, end)));
      // Merge right to left, so the small digests fold into a growing one in a shifted order.
      let acc = parts[parts.length - 1]!;
      for (let i = parts.length - 2; i >= 0; i--) acc = a.merge(parts[i]!, acc);
      const td = a.result(acc);
      assert.equal(td.count, data.length);
      assert.ok(worstRankError(td, data.slice().sort(), 100).ratio <= 1);
    }),
    { numRuns: 25 },
  );
});

test('merge of two halves ≈ the whole: quantiles within the bound of each other', () => {
  const data = Float64Array.from({ length: 40_000 }, distributions['lognormal(σ=3)']!);
  const a = quantiles((x: number) => x);
  const whole = a.result(fold(a, data));
  const merged = a.result(a.merge(fold(a, data.subarray(0, 25_000)), fold(a, data.subarray(25_000))));
  const sorted = data.slice().sort();
  for (const q of QS) {
    assert.ok(Math.abs(rankError(sorted, merged.quantile(q), q)) <= bound(q, 100, data.length));
    // Both estimates' ranks are close to each other.
    assert.ok(Math.abs(whole.cdf(merged.quantile(q)) - q) <= 2 * bound(q, 100, data.length), `q=${q}`);
  }
});

test('few values: every value kept, exact quantiles; cdf is the interpolated rank', () => {
  const a = quantiles((x: number) => x);
  const td = a.result(fold(a, [5, 1, 4, 2, 3]));
  assert.equal(td.count, 5);
  assert.equal(td.quantile(0), 1);
  assert.equal(td.quantile(1), 5);
  assert.equal(td.p50, 3);
  assert.equal(td.cdf(0), 0);
  assert.equal(td.cdf(9), 1);
  assert.equal(td.cdf(3), 0.5);
  const empty = a.result(a.init());
  assert.equal(empty.count, 0);
  assert.ok(Number.isNaN(empty.p99));
  assert.deepEqual(JSON.parse(JSON.stringify(empty)), { count: 0, min: null, max: null, p50: null, p95: null, p99: null });
  assert.deepEqual(JSON.parse(JSON.stringify(td)), { count: 5, min: 1, max: 5, p50: 3, p95: 5, p99: 5 });
});

test('cdf is monotone and consistent with quantile (within the bound)', () => {
  const data = Float64Array.from({ length: 20_000 }, distributions.exponential!);
  const a = quantiles((x: number) => x);
  const td = a.result(fold(a, data));
  let prev = 0;
  for (let x = 0; x < 12; x += 0.01) {
    const c = td.cdf(x);
    assert.ok(c >= prev - 1e-12, `cdf decreases at ${x}`);
    prev = c;
  }
  for (const q of [0.01, 0.1, 0.5, 0.9, 0.99]) assert.ok(Math.abs(td.cdf(td.quantile(q)) - q) <= bound(q, 100, data.length));
});

test('state: compact, serde round trip, corrupt bytes rejected, bad values refused', () => {
  const a = quantiles((x: number) => x);
  const big = fold(
    a,
    Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 100_003),
  );
  const bytes = a.stateSerde.serialize(big);
  assert.ok(bytes.length < 36 + 16 * 100 + 8 * 50, `state ${bytes.length} bytes: at most ~δ centroids and δ/2 buffered values`);
  const back = a.stateSerde.deserialize(bytes);
  for (const q of QS) assert.equal(a.result(back).quantile(q), a.result(big).quantile(q));
  assert.throws(() => a.stateSerde.deserialize(bytes.subarray(0, 40)), SketchStateError);
  assert.throws(() => quantiles((x: number) => x, { compression: 200 }).stateSerde.deserialize(bytes), /compression/);
  const corrupt = Buffer.from(bytes);
  corrupt.writeDoubleBE(NaN, 36);
  assert.throws(() => a.stateSerde.deserialize(corrupt), /centroid/);
  assert.throws(() => a.add(a.init(), NaN), RangeError);
  assert.throws(() => a.add(a.init(), Infinity), RangeError);
  assert.equal(a.result(a.add(a.init(), null as unknown as number)).count, 0);
  assert.throws(() => quantiles((x: number) => x, { compression: 5 }), TopologyError);
  assert.throws(() => a.result(big).quantile(1.5), RangeError);
});
