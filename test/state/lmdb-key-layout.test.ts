// The LMDB store writes and strips its 0x00 key prefix in lmdb-js's key encoder hooks (one copy
// per key read instead of a copy and a view). The bytes on disk must stay what they were, so that
// state directories and local checkpoints written before keep working: checked here against a
// raw lmdb-js handle that knows nothing of the hooks, in both directions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { openTaskState } from '../../src/state/local-checkpoint.js';
import { LmdbStateEnvironment } from '../../src/state/lmdb-store.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const s = (x: Buffer) => x.toString('latin1');

/** Opens the store `name` of the environment at `dir` as raw bytes (prefix included), runs fn, closes. */
async function raw<T>(dir: string, name: string, fn: (db: ReturnType<typeof rawDb>) => T): Promise<T> {
  const root = open<Buffer, Buffer>({ path: dir, maxDbs: 1000, keyEncoding: 'binary', encoding: 'binary', noSync: true });
  try {
    return fn(rawDb(root, name));
  } finally {
    await root.close();
  }
}
function rawDb(root: ReturnType<typeof open<Buffer, Buffer>>, name: string) {
  return root.openDB<Buffer, Buffer>(`s:${name}`, { keyEncoding: 'binary', encoding: 'binary' });
}

test('LMDB key layout: the store writes 0x00 + key on disk, and reads keys written that way without the prefix', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-lmdb-layout-'));
  try {
    const keys = ['', '\x00', 'a', 'ab', '\xff\xff', 'b\x00c'];
    const ts = await openTaskState(dir, { eos: false, sync: false });
    const store = ts.factory('m');
    for (const k of keys) store.put(b(k), b(`v:${k}`));
    await store.flush();
    await ts.close();

    const onDisk = await raw(dir, 'm', (db) => [...db.getRange({})].map((e) => [s(e.key as Buffer), s(e.value)]));
    assert.deepEqual(
      onDisk,
      [...keys].sort().map((k) => [`\x00${k}`, `v:${k}`]),
      'every key stored behind one 0x00 byte, in byte order',
    );

    // Written by a raw handle (as an earlier version of the store did), read through the store.
    await raw(dir, 'm', (db) => {
      db.putSync(b('\x00written-raw'), b('raw'));
      db.removeSync(b('\x00ab'));
    });
    // The environment itself (openTaskState would wipe a directory written behind its checkpoint's back).
    const env = new LmdbStateEnvironment(dir, { sync: false });
    try {
      const again = env.store('m');
      const expected = [...keys.filter((k) => k !== 'ab'), 'written-raw'].sort();
      assert.deepEqual([...again.all()].map((e) => s(e.key)), expected);
      assert.equal(s(again.get(b('written-raw'))!), 'raw');
      assert.equal(again.get(b('ab')), undefined);
      assert.equal(s(again.get(Buffer.alloc(0))!), 'v:');
      // Bounds go through the same hooks: [a, b) holds 'a' and 'b\x00c' is past it; 'b\x00c' >= 'b'.
      assert.deepEqual([...again.range(b('a'), b('b'))].map((e) => s(e.key)), ['a']);
      assert.deepEqual([...again.range(b('b'), undefined)].map((e) => s(e.key)), ['b\x00c', 'written-raw', '\xff\xff']);
      assert.deepEqual([...again.range(undefined, b('\x00'))].map((e) => s(e.key)), ['']);
    } finally {
      await env.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LMDB key layout: keys returned by a range are separate copies that outlive the scan', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-lmdb-layout-'));
  const ts = await openTaskState(dir, { eos: false, sync: false });
  try {
    const store = ts.factory('m');
    for (let i = 0; i < 2_000; i++) store.put(b(`key-${String(i).padStart(5, '0')}`), b(String(i)));
    const entries = [...store.all()];
    // Writes and a commit after the scan reuse lmdb-js's buffers: the kept keys must not change.
    for (let i = 0; i < 2_000; i++) store.put(b(`zzz-${i}`), b('x'));
    await store.flush();
    assert.equal(entries.length, 2_000);
    entries.forEach((e, i) => {
      assert.equal(s(e.key), `key-${String(i).padStart(5, '0')}`);
      assert.equal(s(e.value), String(i));
    });
  } finally {
    await ts.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
