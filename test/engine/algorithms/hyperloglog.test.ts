import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { approxDistinct, SketchStateError, TopologyError } from '../../../src/index.js';
import { hllAddHash, hllCreate, hllEstimate, hllRegisters } from '../../../src/engine/algorithms/hyperloglog.js';
import { H, hashItem } from '../../../src/engine/algorithms/hash.js';
import { fold, rng } from './util.js';

const id = (x: string) => x;

test('hash: MurmurHash3 x86_128 as the reference computes it; types and -0/NaN canonical', () => {
  // Reference value of MurmurHash3_x86_128("The quick brown fox jumps over the lazy dog", seed 0).
  hashItem(Buffer.from('The quick brown fox jumps over the lazy dog'));
  assert.deepEqual([...H].map((x) => x.toString(16).padStart(8, '0')).join(''), '2f1583c3ecee2c675d7bf66ce5e91d2c');
  const h = (x: Parameters<typeof hashItem>[0]) => (hashItem(x), [...H]);
  assert.deepEqual(h(-0), h(0));
  assert.deepEqual(h(NaN), h(Number.NaN * 2));
  assert.notDeepEqual(h('1'), h(1));
  assert.notDeepEqual(h(1n), h('1'));
  assert.notDeepEqual(h(true), h(1));
  assert.notDeepEqual(h('ab'), h('ba'));
  assert.notDeepEqual(h('a'), h('a\u0000'));
  assert.throws(() => hashItem({} as never), TypeError);
});

/** Exact HLL registers computed straight from the items' hashes (no sparse phase). */
function directRegisters(items: readonly string[], p: number): Uint8Array {
  const r = new Uint8Array(1 << p);
  for (const x of items) {
    hashItem(x);
    const hi = H[0]!;
    const lo = H[1]!;
    // The index is the hash's top p bits; the rank, 1 + leading zeros of the remaining 64 - p bits.
    const bits = hi.toString(2).padStart(32, '0') + lo.toString(2).padStart(32, '0');
    const idx = parseInt(bits.slice(0, p), 2);
    const rest = bits.slice(p);
    const rank = rest.indexOf('1') === -1 ? rest.length + 1 : rest.indexOf('1') + 1;
    r[idx] = Math.max(r[idx]!, rank);
  }
  return r;
}

test('sparse states convert to exactly the registers of a dense sketch, at every precision', () => {
  for (const p of [4, 7, 10, 12]) {
    const items = Array.from({ length: (1 << p) + 50 }, (_, i) => `item-${p}-${i}`);
    const a = approxDistinct(id, { precision: p });
    // Stop at every size around the sparse -> dense switch, and well below and above it.
    for (const n of [1, 3, (1 << p) >> 3, ((1 << p) >> 2) - 1, (1 << p) >> 2, ((1 << p) >> 2) + 1, items.length]) {
      const s = fold(a, items.slice(0, n));
      assert.deepEqual(new Uint8Array(hllRegisters(s)), directRegisters(items.slice(0, n), p), `p=${p} n=${n}`);
    }
  }
});

test('small sets (sparse) are counted exactly', () => {
  const r = rng(7);
  for (const p of [10, 12, 14]) {
    const a = approxDistinct((x: number) => x, { precision: p });
    for (const n of [0, 1, 2, 17, 100, (1 << p) >> 2]) {
      const values = Array.from({ length: n * 3 }, () => Math.floor(r() * n) + p * 1e6);
      for (let i = 0; i < n; i++) values.push(i + p * 1e6);
      assert.equal(a.result(fold(a, values)), n, `p=${p} n=${n}`);
    }
  }
});

test('relative error within the stated standard error 1.04/sqrt(m) over many random sets', (t) => {
  const r = rng(42);
  for (const p of [8, 10, 12]) {
    const m = 1 << p;
    const se = 1.04 / Math.sqrt(m);
    const errors: number[] = [];
    const a = approxDistinct(id, { precision: p });
    for (let trial = 0; trial < 150; trial++) {
      // Cardinalities log-uniform from m/8 (sparse) through the small-range transition to 25·m.
      const n = Math.round(Math.exp(Math.log(m / 8) + r() * Math.log(200)));
      const salt = Math.floor(r() * 2 ** 32).toString(36);
      let s = a.init();
      for (let i = 0; i < n; i++) s = a.add(s, `${salt}:${i}`);
      // Duplicates change nothing.
      for (let i = 0; i < n; i += 7) s = a.add(s, `${salt}:${i}`);
      errors.push(hllEstimate(s) / n - 1);
    }
    const z = errors.map((e) => e / se);
    const rms = Math.sqrt(z.reduce((x, y) => x + y * y, 0) / z.length);
    const mean = z.reduce((x, y) => x + y, 0) / z.length;
    const beyond3 = z.filter((x) => Math.abs(x) > 3).length;
    const maxAbs = Math.max(...z.map(Math.abs));
    t.diagnostic(`p=${p}: rms ${(rms * se * 100).toFixed(3)}% (${rms.toFixed(2)} se), bias ${mean.toFixed(2)} se, max ${maxAbs.toFixed(2)} se`);
    // For normal errors: rms ≈ 1 se, |mean| ≈ 0, and about 0.3% of trials beyond 3 se.
    assert.ok(rms < 1.2, `p=${p}: rms error ${rms.toFixed(2)} standard errors`);
    assert.ok(Math.abs(mean) < 0.35, `p=${p}: bias ${mean.toFixed(2)} standard errors`);
    assert.ok(beyond3 <= 2, `p=${p}: ${beyond3} of 150 estimates beyond 3 standard errors`);
    assert.ok(maxAbs < 4.5, `p=${p}: an estimate ${maxAbs.toFixed(2)} standard errors off`);
  }
});

test('large cardinality (10^6) at precision 14: within 3 standard errors (0.81%)', () => {
  const a = approxDistinct((i: number) => i, { precision: 14 });
  let s = a.init();
  for (let i = 0; i < 1_000_000; i++) s = a.add(s, i * 7919);
  const err = Math.abs(hllEstimate(s) / 1_000_000 - 1);
  assert.ok(err < 3 * (1.04 / 128), `relative error ${err}`);
  assert.equal(s.length, 8 + (1 << 14), 'dense state: header + one byte per register');
});

test('merge equals the sketch of the union (registers identical), sparse or dense, in any order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 1500 }),
      fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 1500 }),
      fc.constantFrom(6, 9, 12),
      (xs, ys, p) => {
        const a = approxDistinct((i: number) => i, { precision: p });
        const whole = fold(a, [...xs, ...ys]);
        const ab = a.merge(fold(a, xs), fold(a, ys));
        const ba = a.merge(fold(a, ys), fold(a, xs));
        assert.deepEqual(hllRegisters(ab), hllRegisters(whole));
        assert.deepEqual(hllRegisters(ba), hllRegisters(whole));
        assert.equal(a.result(ab), a.result(whole));
        // Idempotent: merging a sketch with itself changes nothing.
        assert.equal(a.result(a.merge(fold(a, xs), fold(a, xs))), a.result(fold(a, xs)));
      },
    ),
    { numRuns: 60 },
  );
});

test('state serde: round trip, compact, and corrupt or mismatched bytes rejected', () => {
  const a = approxDistinct(id, { precision: 12 });
  const small = fold(a, ['a', 'b', 'c']);
  const bytes = a.stateSerde.serialize(small);
  assert.equal(bytes.length, 8 + 3 * 4, 'sparse: 4 bytes per distinct item, no spare room');
  const back = a.stateSerde.deserialize(bytes);
  assert.equal(a.result(back), 3);
  assert.equal(a.result(a.add(back, 'd')), 4);
  const big = fold(
    a,
    Array.from({ length: 5000 }, (_, i) => `x${i}`),
  );
  assert.deepEqual(hllRegisters(a.stateSerde.deserialize(a.stateSerde.serialize(big))), hllRegisters(big));
  assert.throws(() => a.stateSerde.deserialize(Buffer.from('nope')), SketchStateError);
  assert.throws(() => approxDistinct(id, { precision: 10 }).stateSerde.deserialize(bytes), /precision 12, expected 10/);
  const bad = Buffer.from(bytes);
  bad.writeUInt32BE(bad.readUInt32BE(8), 12); // two entries with the same index
  assert.throws(() => a.stateSerde.deserialize(bad), /order/);
  assert.throws(() => a.merge(small, approxDistinct(id, { precision: 10 }).init()), /precision/);
  assert.throws(() => approxDistinct(id, { precision: 3 }), TopologyError);
});

test('null and undefined items are not counted; objects are refused', () => {
  const a = approxDistinct((v: { u?: string | null }) => v.u);
  assert.equal(a.result(fold(a, [{ u: 'a' }, {}, { u: null }, { u: 'a' }, { u: 'b' }])), 2);
  const b = approxDistinct((v: object) => v as never);
  assert.throws(() => b.add(b.init(), {}), TypeError);
});

test('hllAddHash: the rank of an all-zero remainder is 65 - p (the largest register value)', () => {
  let s = hllCreate(4);
  for (let i = 0; i < 16; i++) s = hllAddHash(s, (i << 28) >>> 0, 0);
  assert.deepEqual([...hllRegisters(s)], new Array(16).fill(61));
  // Every register saturated: the estimator's answer is unbounded (2^64 hashes never get here).
  assert.equal(hllEstimate(s), Infinity);
});
