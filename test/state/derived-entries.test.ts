// A restore deletes a logged store's DERIVED_ENTRIES_VALID marker (entries derived from the
// logged ones, such as a window store's time index, must then be rebuilt); writes through
// `unlogged` reach the store but not the changelog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryKeyValueStore, LoggedKeyValueStore, applyChangelogBatch, type ChangelogEntry, type KeyValueStore } from '../../src/state/index.js';
import { DERIVED_ENTRIES_VALID } from '../../src/state/logged-store.js';
import { openTaskState } from '../../src/state/local-checkpoint.js';

const b = (s: string) => Buffer.from(s, 'latin1');

async function eachInner(fn: (inner: KeyValueStore) => void | Promise<void>): Promise<void> {
  await fn(new InMemoryKeyValueStore('m'));
  const dir = mkdtempSync(join(tmpdir(), 'tributary-derived-'));
  const ts = await openTaskState(dir, { eos: false, sync: false });
  try {
    await fn(ts.factory('l'));
  } finally {
    await ts.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('unlogged writes are not changelogged; a restore of at least one record deletes the marker, an empty one does not', async () => {
  await eachInner((inner) => {
    const log: ChangelogEntry[] = [];
    const store = new LoggedKeyValueStore(inner, { append: (e) => log.push(e) });
    assert.equal(store.unlogged, inner);
    store.unlogged.put(DERIVED_ENTRIES_VALID, b('1'));
    store.unlogged.put(b('\xff\xff\xff\xffderived'), b('1'));
    store.put(b('k'), b('v'));
    assert.deepEqual(log.map((e) => e.key.toString('latin1')), ['k']);
    store.restore([]);
    assert.ok(store.get(DERIVED_ENTRIES_VALID), 'an empty restore changes nothing');
    store.restore([{ key: b('k2'), value: b('v2') }]);
    assert.equal(store.get(DERIVED_ENTRIES_VALID), undefined);
    assert.deepEqual(store.get(b('k2')), b('v2'));
    // Derived entries themselves stay: their owner deletes and rebuilds them.
    assert.ok(store.get(b('\xff\xff\xff\xffderived')));
  });
});

test("the batch restore (the runtime's path) deletes the marker too, before the batch's records", async () => {
  await eachInner(async (inner) => {
    const store = new LoggedKeyValueStore(inner, { append: () => {} });
    store.unlogged.put(DERIVED_ENTRIES_VALID, b('1'));
    applyChangelogBatch(store, () => {});
    await store.restoreSettled();
    assert.ok(store.get(DERIVED_ENTRIES_VALID), 'an empty batch changes nothing');
    applyChangelogBatch(store, (apply) => {
      apply(b('a'), b('1'));
      apply(b('a'), null);
    });
    // LMDB writes restored batches on lmdb-js's write thread: read once they are in.
    await store.restoreSettled();
    assert.equal(store.get(DERIVED_ENTRIES_VALID), undefined);
    assert.equal(store.get(b('a')), undefined);
  });
});
