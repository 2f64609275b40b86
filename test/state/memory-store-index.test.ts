import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';

const k = (i: number) => Buffer.from(`k${String(i).padStart(6, '0')}`);
const sortedKeys = (s: InMemoryKeyValueStore) => [...s.all()].map((e) => e.key.toString());

// The sorted index is dropped after more writes than keys without a scan, and rebuilt by the
// next scan: scans must see exactly the map's keys in order, whichever state the index is in.
test('in-memory store: scans stay exact across the index being dropped (write-heavy) and rebuilt', () => {
  const s = new InMemoryKeyValueStore('t');
  const model = new Map<string, string>();
  // Indexed from the start (a scan), then many more writes than keys: the index is dropped.
  assert.deepEqual(sortedKeys(s), []);
  let x = 7;
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 5_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const key = k(x % 3_000);
      if (x % 3 === 0) {
        s.delete(key);
        model.delete(key.toString());
      } else {
        s.put(key, Buffer.from([round]));
        model.set(key.toString(), String(round));
      }
    }
    assert.deepEqual(sortedKeys(s), [...model.keys()].sort(), `round ${round}`);
    const from = k(1_000);
    const to = k(2_000);
    const ranged = [...s.range(from, to)].map((e) => e.key.toString());
    assert.deepEqual(ranged, [...model.keys()].filter((m) => m >= from.toString() && m < to.toString()).sort());
  }
});

test('in-memory store: enough writes during a scan to drop the index; the scan continues after the current key', () => {
  const s = new InMemoryKeyValueStore('t');
  for (let i = 0; i < 2_000; i += 2) s.put(k(i), Buffer.from('v'));
  const seen: string[] = [];
  let n = 0;
  for (const e of s.all()) {
    seen.push(e.key.toString());
    if (n++ === 10) {
      // Far more structural writes than keys: inserts behind and ahead of the cursor, deletes ahead.
      for (let i = 1; i < 2_000; i += 2) s.put(k(i), Buffer.from('w'));
      for (let i = 1_000; i < 1_100; i++) s.delete(k(i));
      for (let i = 3_000; i < 6_000; i++) s.put(k(i), Buffer.from('x'));
    }
  }
  const current = seen[10]!;
  const expected = [...s.all()].map((e) => e.key.toString()).filter((key) => key > current);
  assert.deepEqual(seen.slice(11), expected);
  assert.deepEqual(seen, [...seen].sort(), 'in order');
});
