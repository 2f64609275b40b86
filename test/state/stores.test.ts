import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  InMemoryKeyValueStore,
  LoggedKeyValueStore,
  SessionStore,
  WindowStore,
  keyWithTime,
  prefixEnd,
  readTimestamp,
  splitKeyWithTime,
  writeTimestamp,
  type ChangelogEntry,
} from '../../src/state/index.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const s = (x: Buffer) => x.toString('latin1');

test('in-memory store: point ops, and range/all in unsigned byte order (a model check)', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          op: fc.constantFrom('put', 'delete'),
          key: fc.uint8Array({ maxLength: 3 }),
          value: fc.uint8Array({ maxLength: 2 }),
        }),
      ),
      fc.uint8Array({ maxLength: 2 }),
      fc.uint8Array({ maxLength: 2 }),
      (ops, from, to) => {
        const store = new InMemoryKeyValueStore('m');
        const model = new Map<string, Buffer>();
        for (const o of ops) {
          const k = Buffer.from(o.key);
          if (o.op === 'put') {
            store.put(k, Buffer.from(o.value));
            model.set(k.toString('hex'), Buffer.from(o.value));
          } else {
            store.delete(k);
            model.delete(k.toString('hex'));
          }
        }
        const sorted = [...model.keys()].map((h) => Buffer.from(h, 'hex')).sort(Buffer.compare);
        assert.equal(store.size, model.size);
        assert.deepEqual([...store.all()].map((e) => e.key.toString('hex')), sorted.map((k) => k.toString('hex')));
        const f = Buffer.from(from);
        const t = Buffer.from(to);
        const inRange = sorted.filter((k) => Buffer.compare(k, f) >= 0 && Buffer.compare(k, t) < 0);
        assert.deepEqual([...store.range(f, t)].map((e) => e.key.toString('hex')), inRange.map((k) => k.toString('hex')));
        for (const k of sorted) assert.deepEqual(store.get(k), model.get(k.toString('hex')));
      },
    ),
  );
});

test('in-memory store: deleting and inserting while iterating continues after the current key', () => {
  const store = new InMemoryKeyValueStore('m');
  for (const k of ['a', 'b', 'c', 'd', 'e']) store.put(b(k), b(k));
  const seen: string[] = [];
  for (const e of store.all()) {
    seen.push(s(e.key));
    store.delete(e.key);
    if (s(e.key) === 'b') store.put(b('0'), b('0')); // before the cursor: not visited
    if (s(e.key) === 'c') store.put(b('cc'), b('cc')); // after the cursor: visited
  }
  assert.deepEqual(seen, ['a', 'b', 'c', 'cc', 'd', 'e']);
  assert.deepEqual([...store.all()].map((e) => s(e.key)), ['0']);
});

test('logged store: every put and delete becomes a changelog entry; restore replays them', () => {
  const entries: ChangelogEntry[] = [];
  const logged = new LoggedKeyValueStore(new InMemoryKeyValueStore('counts'), { append: (e) => entries.push(e) });
  logged.put(b('x'), b('1'));
  logged.put(b('y'), b('2'));
  logged.put(b('x'), b('3'));
  assert.equal(logged.delete(b('y')), true);
  assert.equal(logged.delete(b('nope')), false); // nothing to delete: no entry
  assert.deepEqual(
    entries.map((e) => [e.store, s(e.key), e.value && s(e.value)]),
    [
      ['counts', 'x', '1'],
      ['counts', 'y', '2'],
      ['counts', 'x', '3'],
      ['counts', 'y', null],
    ],
  );
  const restored = new InMemoryKeyValueStore('counts');
  restored.restore(entries);
  assert.deepEqual([...restored.all()].map((e) => [s(e.key), s(e.value)]), [['x', '3']]);
  // Restoring through the logged wrapper does not log again.
  const again: ChangelogEntry[] = [];
  new LoggedKeyValueStore(new InMemoryKeyValueStore('counts'), { append: (e) => again.push(e) }).restore(entries);
  assert.equal(again.length, 0);
});

test('timestamps encode to 8 bytes that sort like the numbers, negatives included, exactly', () => {
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 52) + 1, max: 2 ** 52 - 1 }), fc.integer({ min: -(2 ** 52) + 1, max: 2 ** 52 - 1 }), (x, y) => {
      const bx = Buffer.alloc(8);
      const by = Buffer.alloc(8);
      writeTimestamp(bx, 0, x);
      writeTimestamp(by, 0, y);
      assert.equal(readTimestamp(bx, 0), x);
      assert.equal(Math.sign(Buffer.compare(bx, by)), Math.sign(x - y));
    }),
  );
  for (const t of [0, 1, 1563, -1, 1_700_000_000_001]) {
    const buf = Buffer.alloc(8);
    writeTimestamp(buf, 0, t);
    assert.equal(readTimestamp(buf, 0), t);
  }
});

test('composite keys: a key never interleaves with a longer key it prefixes; prefixEnd bounds a prefix', () => {
  const a = keyWithTime(b('a'), 5);
  const ab = keyWithTime(b('ab'), -5);
  assert.ok(Buffer.compare(a, ab) < 0);
  assert.deepEqual(splitKeyWithTime(ab).key, b('ab'));
  assert.equal(splitKeyWithTime(ab).time, -5);
  assert.deepEqual(prefixEnd(b('ab\xff')), b('ac'));
  assert.equal(prefixEnd(b('\xff\xff')), undefined);
});

test('window and session stores: per-key fetch by start, all in key then start order', () => {
  const kv = new InMemoryKeyValueStore('w');
  const w = new WindowStore(kv);
  w.put(b('k'), 20, b('2'));
  w.put(b('k'), 0, b('0'));
  w.put(b('k'), 10, b('1'));
  w.put(b('j'), 10, b('j'));
  assert.deepEqual([...w.fetch(b('k'), 5, 20)].map((e) => [e.start, s(e.value)]), [
    [10, '1'],
    [20, '2'],
  ]);
  assert.deepEqual([...w.all()].map((e) => `${s(e.key)}@${e.start}`), ['j@10', 'k@0', 'k@10', 'k@20']);
  w.delete(b('k'), 10);
  assert.equal(w.get(b('k'), 10), undefined);
  const sess = new SessionStore(new InMemoryKeyValueStore('s'));
  sess.put(b('k'), 7, b('x'));
  sess.put(b('kk'), 1, b('y'));
  sess.put(b('k'), 3, b('z'));
  assert.deepEqual([...sess.sessions(b('k'))].map((e) => e.start), [3, 7]);
});
