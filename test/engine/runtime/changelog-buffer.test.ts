import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { embedded } from '../../../src/connectors/index.js';
import { ChangelogBuffer, LastWrites } from '../../../src/engine/runtime/collectors.js';
import type { ChangelogEntry } from '../../../src/state/changelog.js';
import { openLog, readTopic, tempDir } from './helpers.js';

/** What the changelog must get: per store, the last value of each key, keys in the order first written. */
function lastPerKey(entries: readonly ChangelogEntry[]): Map<string, Array<[string, string | null]>> {
  const out = new Map<string, Map<string, string | null>>();
  for (const e of entries) {
    let m = out.get(e.store);
    if (!m) out.set(e.store, (m = new Map()));
    m.set(e.key.toString('hex'), e.value === null ? null : e.value.toString('hex'));
  }
  return new Map([...out].map(([s, m]) => [s, [...m]]));
}

const entry: fc.Arbitrary<ChangelogEntry> = fc.record({
  store: fc.constantFrom('a', 'b'),
  // Few distinct short keys (many repeats and equal hashes' neighbours), and some long ones (> 64 bytes).
  key: fc.oneof(fc.uint8Array({ maxLength: 3 }), fc.uint8Array({ minLength: 60, maxLength: 80 }).map((a) => a.map((x) => x % 2))).map((a) => Buffer.from(a)),
  value: fc.option(fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a)), { nil: null }),
});

test('LastWrites keeps the last entry per key, in first-write order, across growth and clears', () => {
  fc.assert(
    fc.property(fc.array(fc.array(entry, { maxLength: 300 }), { minLength: 1, maxLength: 3 }), (rounds) => {
      const table = new LastWrites();
      for (const round of rounds) {
        const only = round.map((e) => ({ ...e, store: 'a' }));
        let fresh = 0;
        for (const e of only) if (table.set(e)) fresh++;
        const expected = lastPerKey(only).get('a') ?? [];
        assert.equal(fresh, expected.length);
        assert.equal(table.size, expected.length);
        assert.deepEqual(
          table.entries.map((e) => [e.key.toString('hex'), e.value === null ? null : e.value.toString('hex')]),
          expected,
        );
        table.clear();
        assert.equal(table.size, 0);
      }
    }),
  );
});

test('a drained ChangelogBuffer writes each store its keys\' last values, and is empty after', async () => {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    for (const t of ['cl-a', 'cl-b']) await log.createTopic(t, { partitions: 2 });
    const producer = await (await embedded({ manager: log }).connect()).producer();
    const entries = fc.sample(entry, { numRuns: 2000, seed: 42 });
    const buffer = new ChangelogBuffer(1, new Map([['a', 'cl-a'], ['b', 'cl-b']]));
    for (const e of entries) buffer.append(e);
    const expected = lastPerKey(entries);
    const total = [...expected.values()].reduce((n, l) => n + l.length, 0);
    assert.ok(total < entries.length, 'the sample repeats keys');
    assert.equal(buffer.pending, total);
    assert.equal(buffer.drainTo(producer, 1234), total);
    assert.equal(buffer.pending, 0);
    await producer.flush();
    for (const [store, topic] of [['a', 'cl-a'], ['b', 'cl-b']] as const) {
      const got = readTopic(log, topic);
      assert.ok(got.every((r) => r.partition === 1 && r.timestamp === 1234));
      assert.deepEqual(
        got.map((r) => [r.key!.toString('hex'), r.value === null ? null : r.value.toString('hex')]),
        expected.get(store) ?? [],
      );
    }
    assert.equal(buffer.drainTo(producer, 1), 0, 'nothing left to send');
    await producer.close();
  } finally {
    await log.close();
    cleanup();
  }
});
