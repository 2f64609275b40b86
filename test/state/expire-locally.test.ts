// KeyValueStore.expire on a logged store: the entry leaves the inner store (in memory and LMDB),
// and nothing is appended to the changelog — unlike delete, which writes a tombstone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryKeyValueStore, LoggedKeyValueStore, type ChangelogEntry, type KeyValueStore } from '../../src/state/index.js';
import { openTaskState } from '../../src/state/local-checkpoint.js';

async function withInner(kind: 'memory' | 'lmdb', body: (inner: KeyValueStore) => Promise<void> | void): Promise<void> {
  if (kind === 'memory') return body(new InMemoryKeyValueStore('s'));
  const dir = mkdtempSync(join(tmpdir(), 'tributary-expire-'));
  const ts = await openTaskState(join(dir, '0_0'), { eos: false, sync: false });
  try {
    await body(ts.factory('s'));
  } finally {
    await ts.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const kind of ['memory', 'lmdb'] as const) {
  test(`logged ${kind} store: expire drops the entry locally with no changelog record; delete writes a tombstone`, async () => {
    await withInner(kind, async (inner) => {
      const log: ChangelogEntry[] = [];
      const store = new LoggedKeyValueStore(inner, { append: (e) => log.push(e) });
      const k = (s: string) => Buffer.from(s);
      store.put(k('a'), k('1'));
      store.put(k('b'), k('2'), k('b').toString('latin1'));
      store.put(k('c'), k('3'));
      assert.equal(log.length, 3);
      assert.equal(store.expire(k('a')), true, 'a was there');
      assert.equal(store.expire(k('b'), k('b').toString('latin1')), true, 'by its kept id');
      assert.equal(store.expire(k('zz')), false, 'absent');
      assert.equal(log.length, 3, 'expire appends nothing to the changelog');
      assert.equal(store.get(k('a')), undefined);
      assert.equal(inner.get(k('b')), undefined, 'gone from the inner store');
      assert.deepEqual([...store.all()].map((e) => e.key.toString()), ['c']);
      assert.equal(store.delete(k('c')), true);
      assert.deepEqual(log.slice(3), [{ store: 's', key: k('c'), value: null }], 'delete writes its tombstone');
      await store.flush();
      assert.equal(store.size, 0);
    });
  });
}
