import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import { LoggedKeyValueStore } from '../../src/state/logged-store.js';
import { SessionStore, WindowStore } from '../../src/state/window-store.js';
import { MAX_KEY_BYTES, StateKeyTooLargeError } from '../../src/state/lmdb-store.js';
import { openTaskState } from '../../src/state/local-checkpoint.js';
import type { ChangelogEntry } from '../../src/state/changelog.js';
import { modelProperty } from './kv-model.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const s = (x: Buffer) => x.toString('latin1');

function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-state-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('in-memory store passes the shared model check (the reference the LMDB store is held to)', async () => {
  await modelProperty(() => new InMemoryKeyValueStore('m'));
});

test('LMDB store passes the same model check: same results as the in-memory store, range order included', async () => {
  const { dir, cleanup } = tempDir();
  const ts = await openTaskState(join(dir, 'app', '0_0'), { eos: true, sync: false });
  try {
    let n = 0;
    await modelProperty(() => {
      // A store per run, all in one environment: runs also share (and flush) one transaction.
      const name = `m${n++ % 20}`;
      ts.environment.clearStore(name);
      return ts.factory(name);
    }, 300);
  } finally {
    await ts.close();
    cleanup();
  }
});

test('LMDB store: deleting and inserting while iterating continues after the current key (as in memory)', async () => {
  const { dir, cleanup } = tempDir();
  const ts = await openTaskState(dir, { eos: false, sync: false });
  try {
    const store = ts.factory('m');
    for (const k of ['a', 'b', 'c', 'd', 'e']) store.put(b(k), b(k));
    await store.flush(); // iterate over committed data, writing into a new transaction
    const seen: string[] = [];
    for (const e of store.all()) {
      seen.push(s(e.key));
      store.delete(e.key);
      if (s(e.key) === 'b') store.put(b('0'), b('0')); // before the cursor: not visited
      if (s(e.key) === 'c') store.put(b('cc'), b('cc')); // after the cursor: visited
      if (s(e.key) === 'd') await store.flush(); // a commit under an open iterator
    }
    assert.deepEqual(seen, ['a', 'b', 'c', 'cc', 'd', 'e']);
    assert.deepEqual([...store.all()].map((e) => s(e.key)), ['0']);
  } finally {
    await ts.close();
    cleanup();
  }
});

test('LMDB store: empty key, 0x00/0xff keys, returned buffers are copies, key size limit', async () => {
  const { dir, cleanup } = tempDir();
  const ts = await openTaskState(dir, { eos: false, sync: false });
  try {
    const store = ts.factory('m');
    store.put(Buffer.alloc(0), b('empty'));
    store.put(b('\x00'), b('zero'));
    store.put(b('\xff\xff'), b('ff'));
    assert.equal(s(store.get(Buffer.alloc(0))!), 'empty');
    assert.deepEqual([...store.all()].map((e) => s(e.key)), ['', '\x00', '\xff\xff']);
    const v = store.get(b('\x00'))!;
    store.put(b('\x00'), b('changed'));
    assert.equal(s(v), 'zero'); // not a view into a reused buffer
    const keys = [...store.all()].map((e) => e.key);
    await store.flush();
    assert.deepEqual(keys.map(s), ['', '\x00', '\xff\xff']);
    store.put(Buffer.alloc(MAX_KEY_BYTES, 7), b('max'));
    assert.equal(s(store.get(Buffer.alloc(MAX_KEY_BYTES, 7))!), 'max');
    assert.throws(() => store.put(Buffer.alloc(MAX_KEY_BYTES + 1), b('x')), StateKeyTooLargeError);
    assert.equal(store.size, 4);
  } finally {
    await ts.close();
    cleanup();
  }
});

test('LMDB store under the engine wrappers: logged store, window and session stores', async () => {
  const { dir, cleanup } = tempDir();
  const ts = await openTaskState(dir, { eos: true, sync: false });
  try {
    const entries: ChangelogEntry[] = [];
    const logged = new LoggedKeyValueStore(ts.factory('counts'), { append: (e) => entries.push(e) });
    logged.put(b('x'), b('1'));
    logged.delete(b('nope'));
    logged.delete(b('x'));
    assert.equal(entries.length, 2);
    const w = new WindowStore(ts.factory('w'));
    w.put(b('k'), 20, b('2'));
    w.put(b('k'), -10, b('0'));
    w.put(b('k'), 10, b('1'));
    w.put(b('j'), 10, b('j'));
    assert.deepEqual([...w.fetch(b('k'), -10, 15)].map((e) => e.start), [-10, 10]);
    assert.deepEqual([...w.all()].map((e) => `${s(e.key)}@${e.start}`), ['j@10', 'k@-10', 'k@10', 'k@20']);
    const sess = new SessionStore(ts.factory('s'));
    sess.put(b('k'), 7, b('x'));
    sess.put(b('kk'), 1, b('y'));
    sess.put(b('k'), 3, b('z'));
    assert.deepEqual([...sess.sessions(b('k'))].map((e) => e.start), [3, 7]);
  } finally {
    await ts.close();
    cleanup();
  }
});

test('LMDB store: flushed writes persist across reopen; unflushed writes are dropped on close', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const a = await openTaskState(dir, { eos: false });
    const st = a.factory('s');
    for (let i = 0; i < 1000; i++) st.put(b(`k${String(i).padStart(4, '0')}`), b(`v${i}`));
    await st.flush();
    await a.checkpoint({ s: 1000 });
    st.put(b('unflushed'), b('x'));
    st.delete(b('k0000'));
    assert.equal(st.get(b('unflushed'))?.toString(), 'x'); // read-your-writes
    await a.close();

    const b2 = await openTaskState(dir, { eos: false });
    assert.equal(b2.wiped, false);
    assert.deepEqual([...b2.checkpointOffsets], [['s', 1000]]);
    const st2 = b2.factory('s');
    assert.equal(st2.size, 1000);
    assert.equal(st2.get(b('unflushed')), undefined);
    assert.equal(st2.get(b('k0000'))?.toString(), 'v0');
    assert.equal([...st2.range(b('k0990'), undefined)].length, 10);
    await b2.close();
  } finally {
    cleanup();
  }
});
