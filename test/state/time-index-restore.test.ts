// A window store's time index kept in step while the store is restored (timeIndexDeriver through
// LoggedKeyValueStore.deriveWhileRestoring): after any restore — from the start into an empty
// store, or a tail over a store whose index was valid — the index is exactly the one derived from
// the restored windows, the marker says so, and only the restored records were looked at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { InMemoryKeyValueStore, LoggedKeyValueStore, applyChangelogBatch, keyWithTime, splitKeyWithTime, type ChangelogRecord, type KeyValueStore } from '../../src/state/index.js';
import { DERIVED_ENTRIES_VALID } from '../../src/state/logged-store.js';
import { openTaskState } from '../../src/state/local-checkpoint.js';
import { isTimeIndexKey, timeIndexKey, TIME_INDEX_VALUE } from '../../src/state/window-store.js';
import { timeIndexDeriver, type WindowGeometry } from '../../src/state/time-index-restore.js';
import { timeIndexOf } from '../support/restore-snapshots.js';

const GEOMETRIES: Record<string, WindowGeometry> = {
  tumbling: { size: 10, advance: 10, close: 13, pane: 10 },
  'hopping, panes': { size: 12, advance: 4, close: 12, pane: 4 },
  'hopping, panes of gcd': { size: 10, advance: 4, close: 15, pane: 2 },
  'hopping, a slot per window': { size: 10, advance: 4, close: 11, pane: undefined },
};

/** The index the windows call for, computed independently: "time|key" for each window with a slot of the key. */
function expectedIndex(store: KeyValueStore, g: WindowGeometry): string[] {
  const out = new Set<string>();
  for (const e of store.all()) {
    if (isTimeIndexKey(e.key)) continue;
    const { key, time: start } = splitKeyWithTime(e.key);
    for (let w = -1000; w <= 1000; w += g.advance) {
      const holds = g.pane === undefined ? w === start : w <= start && start + g.pane <= w + g.size;
      if (holds) out.add(`${w + g.close}|${key.toString('latin1')}`);
    }
  }
  return [...out].sort();
}

/** Writes the index `expectedIndex` describes straight into the store, and the marker: a valid index. */
function writeValidIndex(store: KeyValueStore, g: WindowGeometry): void {
  for (const k of expectedIndex(store, g)) {
    const [time, key] = [Number(k.slice(0, k.indexOf('|'))), k.slice(k.indexOf('|') + 1)];
    store.put(timeIndexKey(time, Buffer.from(key, 'latin1')), TIME_INDEX_VALUE);
  }
  store.put(DERIVED_ENTRIES_VALID, TIME_INDEX_VALUE);
}

const arbOps = (g: WindowGeometry) =>
  fc.array(
    fc.record({
      key: fc.constantFrom('a', 'b', 'cc'),
      slot: fc.integer({ min: -6, max: 12 }).map((i) => i * (g.pane ?? g.advance)),
      put: fc.boolean(),
    }),
    { maxLength: 60 },
  );

const toRecords = (ops: ReadonlyArray<{ key: string; slot: number; put: boolean }>): ChangelogRecord[] =>
  ops.map((o) => ({ key: keyWithTime(Buffer.from(o.key, 'latin1'), o.slot), value: o.put ? Buffer.from([o.slot & 0xff]) : null }));

const noLog = { append: () => {} };

for (const [name, g] of Object.entries(GEOMETRIES)) {
  test(`${name}: a full restore builds the index as it goes; a tail restore over a valid index updates it to the restored windows`, () => {
    fc.assert(
      fc.property(arbOps(g), arbOps(g), fc.boolean(), (before, tail, batched) => {
        // Full restore into an empty store.
        const full = new LoggedKeyValueStore(new InMemoryKeyValueStore('w'), noLog);
        full.deriveWhileRestoring(timeIndexDeriver(g));
        const all = toRecords([...before, ...tail]);
        if (batched) applyChangelogBatch(full, (apply) => all.forEach((r) => apply(r.key, r.value)));
        else full.restore(all);
        assert.deepEqual(timeIndexOf(full), expectedIndex(full, g));
        assert.equal(full.get(DERIVED_ENTRIES_VALID) !== undefined, all.length > 0, 'the marker stays (an empty restore writes nothing)');
        assert.equal(full.derivedRecords, all.length);

        // Tail restore: a store holding the state before the tail with its valid index.
        const inner = new InMemoryKeyValueStore('w');
        for (const r of toRecords(before)) r.value === null ? inner.delete(r.key) : inner.put(r.key, r.value);
        writeValidIndex(inner, g);
        const tailStore = new LoggedKeyValueStore(inner, noLog);
        tailStore.deriveWhileRestoring(timeIndexDeriver(g));
        tailStore.restore(toRecords(tail));
        assert.deepEqual(timeIndexOf(tailStore), expectedIndex(tailStore, g));
        assert.ok(tailStore.get(DERIVED_ENTRIES_VALID));
        assert.equal(tailStore.derivedRecords, tail.length, 'only the tail was looked at');
        // Same windows either way.
        const windows = (s: KeyValueStore) => [...s.all()].filter((e) => !isTimeIndexKey(e.key)).map((e) => e.key.toString('hex'));
        assert.deepEqual(windows(tailStore), windows(full));
      }),
      { numRuns: 150 },
    );
  });
}

test('without a deriver, or over an index that is not valid, a restore deletes the marker and derives nothing', () => {
  const g = GEOMETRIES.tumbling!;
  const records = toRecords([{ key: 'a', slot: 10, put: true }]);
  const plain = new LoggedKeyValueStore(new InMemoryKeyValueStore('w'), noLog);
  plain.unlogged.put(DERIVED_ENTRIES_VALID, TIME_INDEX_VALUE);
  plain.restore(records);
  assert.equal(plain.get(DERIVED_ENTRIES_VALID), undefined);
  assert.deepEqual(timeIndexOf(plain), []);
  // A non-empty store without the marker: its index may be stale (e.g. written by a timer queue in the heap).
  const stale = new LoggedKeyValueStore(new InMemoryKeyValueStore('w'), noLog);
  stale.unlogged.put(keyWithTime(Buffer.from('b'), 0), Buffer.from([1]));
  stale.deriveWhileRestoring(timeIndexDeriver(g));
  applyChangelogBatch(stale, (apply) => records.forEach((r) => apply(r.key, r.value)));
  assert.equal(stale.get(DERIVED_ENTRIES_VALID), undefined);
  assert.equal(stale.derivedRecords, 0);
  assert.deepEqual(timeIndexOf(stale), []);
});

test('LMDB: the index is derived in the restore transaction, and a reopened store has it with its marker', async () => {
  const g = GEOMETRIES['hopping, panes']!;
  const dir = mkdtempSync(join(tmpdir(), 'tributary-index-restore-'));
  try {
    let ts = await openTaskState(dir, { eos: false, sync: false });
    const ops = Array.from({ length: 3_000 }, (_, i) => ({ key: `k${i % 700}`, slot: ((i * 7) % 40) * 4 - 40, put: i % 5 !== 4 }));
    const store = new LoggedKeyValueStore(ts.factory('w'), noLog);
    store.deriveWhileRestoring(timeIndexDeriver(g));
    const records = toRecords(ops);
    for (let i = 0; i < records.length; i += 500) applyChangelogBatch(store, (apply) => records.slice(i, i + 500).forEach((r) => apply(r.key, r.value)));
    const expected = expectedIndex(store, g);
    assert.ok(expected.length > 1_000, `${expected.length} index entries`);
    assert.deepEqual(timeIndexOf(store), expected);
    await store.flush();
    await ts.checkpoint({ w: records.length });
    await ts.close();
    ts = await openTaskState(dir, { eos: true, sync: false });
    const reopened = ts.factory('w');
    assert.ok(reopened.get(DERIVED_ENTRIES_VALID));
    assert.deepEqual(timeIndexOf(reopened), expected);
    await ts.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
