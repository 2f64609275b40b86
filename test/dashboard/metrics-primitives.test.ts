import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LATENCY_BUCKETS_MS, LatencyHistogram } from '../../src/engine/metrics/latency-histogram.js';
import { EXACT_BYTES_LIMIT, storeBytes } from '../../src/engine/metrics/snapshot.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';

test('LatencyHistogram: bucket counts, sum and count; a window\'s percentiles, then a fresh window', () => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 100; i++) h.record(i); // 1..100 ms
  h.record(0.05, 10); // ten sub-0.1 ms values at once (a batch)
  assert.equal(h.count, 110);
  assert.equal(h.sum, 5050 + 0.5);
  const le = (bound: number) => h.counts.slice(0, LATENCY_BUCKETS_MS.indexOf(bound) + 1).reduce((a, b) => a + b, 0);
  assert.equal(le(0.1), 10);
  assert.equal(le(1), 11);
  assert.equal(le(10), 20);
  assert.equal(le(100), 110);
  const w = h.takeWindow();
  assert.equal(w.count, 110);
  assert.ok(Math.abs(w.p50 - 45) <= 1, `p50 ${w.p50}`);
  assert.ok(Math.abs(w.p99 - 99) <= 1, `p99 ${w.p99}`);
  assert.ok(Math.abs(w.max - 100) <= 1, `max ${w.max}`);
  assert.deepEqual(h.takeWindow(), { count: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  h.record(7);
  assert.ok(Math.abs(h.takeWindow().p50 - 7) < 0.1);
  assert.equal(h.count, 111, 'taking a window does not touch the cumulative buckets');
});

test('storeBytes: exact for small stores, extrapolated from the first entries for big ones', () => {
  const small = new InMemoryKeyValueStore('small');
  small.put(Buffer.from('a'), Buffer.alloc(10));
  small.put(Buffer.from('bb'), Buffer.alloc(20));
  assert.equal(storeBytes(small), 1 + 10 + 2 + 20);
  const big = new InMemoryKeyValueStore('big');
  const n = EXACT_BYTES_LIMIT * 5;
  for (let i = 0; i < n; i++) big.put(Buffer.from(String(i).padStart(8, '0')), Buffer.alloc(32));
  assert.equal(storeBytes(big), n * (8 + 32));
});
