import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decayedAverage, SketchStateError, TopologyError } from '../../../src/index.js';
import { fold } from './util.js';

interface Ev {
  v: number;
  ts: number;
}

/** The definition: Σ v·2^(-(T - t)/h) / Σ 2^(-(T - t)/h), T the latest event time. */
function reference(evs: readonly Ev[], h: number): number | null {
  if (evs.length === 0) return null;
  const T = Math.max(...evs.map((e) => e.ts));
  let s = 0;
  let w = 0;
  for (const e of evs) {
    const f = 2 ** (-(T - e.ts) / h);
    s += e.v * f;
    w += f;
  }
  return s / w;
}

const close = (x: number | null, y: number | null) =>
  x === null || y === null ? x === y : Math.abs(x - y) <= 1e-12 * Math.max(1, Math.abs(y)) * 10;

const arbEvents = fc.array(
  fc.record({ v: fc.double({ min: -1e6, max: 1e6, noNaN: true }), ts: fc.integer({ min: 0, max: 3_600_000 }) }),
  { maxLength: 80 },
);

test('equals the definition for any arrival order (out-of-order records weigh by their event time)', () => {
  fc.assert(
    fc.property(arbEvents, fc.constantFrom(['1s', 1000] as const, ['30s', 30_000] as const, ['10m', 600_000] as const, [1, 1] as const), (evs, [halfLife, h]) => {
      const a = decayedAverage((e: Ev) => e.v, { halfLife, timestamp: (e) => e.ts });
      const got = a.result(fold(a, evs));
      const want = reference(evs, h);
      assert.ok(close(got, want), `${got} != ${want}`);
      const reversed = a.result(fold(a, [...evs].reverse()));
      assert.ok(close(reversed, want));
    }),
    { numRuns: 300 },
  );
});

test('merge is the state of the union', () => {
  fc.assert(
    fc.property(arbEvents, arbEvents, (xs, ys) => {
      const a = decayedAverage((e: Ev) => e.v, { halfLife: '1m', timestamp: (e) => e.ts });
      const merged = a.result(a.merge(fold(a, xs), fold(a, ys)));
      assert.ok(close(merged, reference([...xs, ...ys], 60_000)));
      assert.ok(close(a.result(a.merge(fold(a, ys), fold(a, xs))), reference([...xs, ...ys], 60_000)));
    }),
    { numRuns: 300 },
  );
});

test('a step change: the average moves halfway to the new level after one half-life of new values', () => {
  // One value per ms: level 0 for 20 half-lives, then level 100 for exactly one half-life.
  const evs: Ev[] = [];
  for (let t = 0; t < 210_000; t++) evs.push({ v: t < 200_000 ? 0 : 100, ts: t });
  const a = decayedAverage((e: Ev) => e.v, { halfLife: 10_000, timestamp: (e) => e.ts });
  const got = a.result(fold(a, evs))!;
  assert.ok(Math.abs(got - 50) < 0.01, `${got}`);
  // Values far in the past relative to the newest weigh (almost) nothing, and never NaN.
  const old = a.result(fold(a, [{ v: 7, ts: 1e12 }, { v: 1e6, ts: 0 }]));
  assert.equal(old, 7);
});

test('state: 26 bytes, serde round trip, bad bytes and values refused, options checked', () => {
  const a = decayedAverage((e: Ev) => e.v, { halfLife: '5s', timestamp: (e) => e.ts });
  const s = fold(a, [
    { v: 1, ts: 1000 },
    { v: 3, ts: 6000 },
  ]);
  assert.equal(s.length, 26);
  assert.equal(a.result(s), (1 * 0.5 + 3) / 1.5);
  assert.equal(a.result(a.stateSerde.deserialize(a.stateSerde.serialize(s))), a.result(s));
  assert.equal(a.result(a.init()), null);
  assert.throws(() => a.stateSerde.deserialize(Buffer.alloc(26)), SketchStateError);
  assert.throws(() => a.add(a.init(), { v: NaN, ts: 0 }), RangeError);
  assert.throws(() => a.add(a.init(), { v: 1, ts: NaN }), /timestamp/);
  assert.throws(() => decayedAverage((e: Ev) => e.v, { halfLife: 0, timestamp: (e) => e.ts }), TopologyError);
  assert.throws(() => decayedAverage((e: Ev) => e.v, { halfLife: '1x' as '1s', timestamp: (e) => e.ts }), TopologyError);
});
