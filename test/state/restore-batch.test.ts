import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyChangelogBatch, type ChangelogBatch } from '../../src/state/changelog.js';
import type { KeyValueStore } from '../../src/state/kv-store.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import { LoggedKeyValueStore } from '../../src/state/logged-store.js';
import { openTaskState } from '../../src/state/local-checkpoint.js';

/**
 * The restore's batch path (KeyValueStore.restoreBatch): records arrive as views of one fetched
 * buffer, which the restore reuses afterwards, so a store must copy what it keeps. These tests
 * hand the stores views of one shared buffer and scribble over it after every batch.
 */

type Op = [key: string, value: string | null];

/** A changelog of `n` writes over `keys` keys, about one in five a tombstone (seeded, repeatable). */
function changelog(n: number, keys: number, seed: number): Op[] {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const ops: Op[] = [];
  for (let i = 0; i < n; i++) {
    const k = `key-${Math.floor(rnd() * keys)}`;
    ops.push([k, rnd() < 0.2 ? null : `v${i}-${'x'.repeat(Math.floor(rnd() * 40))}`]);
  }
  return ops;
}

/** What replaying `ops` in order leaves: the last value of each key, tombstoned keys absent. */
function lastValues(ops: Op[], into = new Map<string, string>()): Map<string, string> {
  for (const [k, v] of ops) {
    if (v === null) into.delete(k);
    else into.set(k, v);
  }
  return into;
}

/** Applies `ops` to `store` in batches of `size`, as views of one buffer overwritten after each. */
function restoreInBatches(store: KeyValueStore, ops: Op[], size: number): void {
  for (let at = 0; at < ops.length; at += size) {
    const part = ops.slice(at, at + size);
    const bytes = Buffer.from(part.map(([k, v]) => k + (v ?? '')).join(''), 'latin1');
    const batch: ChangelogBatch = (apply) => {
      let pos = 0;
      for (const [k, v] of part) {
        const key = bytes.subarray(pos, (pos += k.length));
        const value = v === null ? null : bytes.subarray(pos, (pos += v.length));
        apply(key, value);
      }
    };
    applyChangelogBatch(store, batch);
    bytes.fill(0x2a); // the fetch buffer is reused: nothing the store kept may point into it
  }
}

function contents(store: KeyValueStore): Map<string, string> {
  return new Map([...store.all()].map((e) => [e.key.toString('latin1'), e.value.toString('latin1')]));
}

test('restoreBatch into an in-memory store (through its logged wrapper): exactly the last values, tombstones applied, no changelog writes', () => {
  const ops = changelog(20_000, 3_000, 1);
  const appended: unknown[] = [];
  const store = new LoggedKeyValueStore(new InMemoryKeyValueStore('s'), { append: (e) => appended.push(e) });
  restoreInBatches(store, ops, 1_000);
  assert.deepEqual(contents(store), lastValues(ops));
  assert.equal(appended.length, 0, 'replaying the changelog must not log it again');
});

test('a store without restoreBatch is restored through restore() with copies (the fallback)', () => {
  const ops = changelog(5_000, 500, 2);
  const inner = new InMemoryKeyValueStore('s');
  // Only the interface's required methods: applyChangelogBatch must fall back to restore().
  const plain: KeyValueStore = {
    name: 's',
    get size() {
      return inner.size;
    },
    get: (k) => inner.get(k),
    put: (k, v) => inner.put(k, v),
    delete: (k) => inner.delete(k),
    range: (f, t) => inner.range(f, t),
    all: () => inner.all(),
    restore: (records) => inner.restore(records),
    flush: () => {},
    close: () => inner.close(),
  };
  restoreInBatches(plain, ops, 700);
  assert.deepEqual(contents(plain), lastValues(ops));
});

test('LMDB: a fresh store restored in batches holds exactly the last values (tombstones included), then a tail restore on top after a reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-restore-batch-'));
  try {
    const full = changelog(30_000, 4_000, 3);
    const tail = changelog(8_000, 6_000, 4); // new keys too, and tombstones of restored ones
    let ts = await openTaskState(dir, { eos: true, sync: false });
    try {
      assert.equal(ts.checkpointOffsets.size, 0, 'fresh: no checkpoint, restore from the start');
      const store = ts.factory('s');
      restoreInBatches(store, full, 2_500);
      await store.restoreSettled?.(); // written on lmdb-js's write thread
      assert.deepEqual(contents(store), lastValues(full), 'read back once the restore settled');
      await store.flush();
      await ts.checkpoint({ s: full.length });
    } finally {
      await ts.close();
    }
    ts = await openTaskState(dir, { eos: true, sync: false });
    try {
      assert.equal(ts.wiped, false);
      assert.equal(ts.checkpointOffsets.get('s'), full.length, 'the checkpoint is trusted: only the tail is restored');
      const store = ts.factory('s');
      assert.deepEqual(contents(store), lastValues(full), 'the flushed restore is on disk');
      restoreInBatches(store, tail, 999);
      await store.restoreSettled?.();
      const expected = lastValues(tail, lastValues(full));
      assert.deepEqual(contents(store), expected);
      assert.equal(store.size, expected.size);
      await store.flush();
    } finally {
      await ts.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LMDB: restored batches left unflushed are dropped by close, and the next open restores again from the start', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-restore-batch-'));
  try {
    let ts = await openTaskState(dir, { eos: true, sync: false });
    restoreInBatches(ts.factory('s'), changelog(3_000, 1_000, 5), 1_000);
    await ts.close();
    ts = await openTaskState(dir, { eos: true, sync: false });
    try {
      assert.equal(ts.checkpointOffsets.size, 0);
      // Restored records may be committed before a flush (lmdb-store.ts, inRestoreTxn and
      // inAsyncRestore), but without a checkpoint naming them the state is not trusted.
      assert.equal(ts.factory('s').size, 0, 'an unfinished restore is not kept without a checkpoint');
    } finally {
      await ts.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in-memory store: a scan continues after the current key when writes move keys under it', () => {
  const store = new InMemoryKeyValueStore('s');
  const b = (x: string) => Buffer.from(x, 'latin1');
  for (let i = 0; i < 3_000; i++) store.put(b(`k${String(i).padStart(5, '0')}`), b('v'));
  const seen: string[] = [];
  for (const e of store.all()) {
    const k = e.key.toString('latin1');
    seen.push(k);
    if (k === 'k00010') store.put(b('a'), b('v')); // before the cursor: not visited
    if (k === 'k00020') store.put(b('k00020x'), b('v')); // right after it: visited
    if (k === 'k00030') store.delete(b('k00031')); // the next key gone: skipped
    if (k === 'k00040') store.put(b(k), b('w')); // an overwrite moves nothing
  }
  assert.equal(seen.length, 3_000, 'one inserted after the cursor, one deleted');
  assert.ok(seen.includes('k00020x') && !seen.includes('k00031') && !seen.includes('a'));
  assert.deepEqual(seen, [...seen].sort(), 'in key order');
});
