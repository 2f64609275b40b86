// LMDB restores write restored records on lmdb-js's write thread (lmdb-store.ts, inAsyncRestore):
// - the store after a batch restore, once settled, equals the store the same records give
//   through single puts and deletes (a property test: keys, values, tombstones, batch cuts; the
//   fetched buffers are overwritten after each batch, so values must have been copied);
// - a deriver that reads nothing (tumbling windows, joins) writes its entries in the same stream:
//   the index equals the one single puts derive;
// - until the restore settles the store refuses reads and writes outside a restore; a flush
//   (what a standby does before its checkpoint) settles it, and the reopened store has it all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { InMemoryKeyValueStore, LoggedKeyValueStore, applyChangelogBatch, keyWithTime, type KeyValueStore } from '../../src/state/index.js';
import { openTaskState } from '../../src/state/local-checkpoint.js';
import { StateRestorePendingError } from '../../src/state/lmdb-store.js';
import { timeIndexDeriver } from '../../src/state/time-index-restore.js';

interface Op {
  key: Buffer;
  value: Buffer | null;
}

const noLog = { append: () => {} };

/** The ops as fetched batches: one reused buffer per batch, overwritten once the store had it. */
function restoreInBatches(store: KeyValueStore, ops: readonly Op[], cuts: readonly number[]): void {
  let from = 0;
  for (const to of [...cuts, ops.length]) {
    const part = ops.slice(from, Math.max(from, to));
    from = Math.max(from, to);
    const bytes = Buffer.concat(part.flatMap((o) => (o.value === null ? [o.key] : [o.key, o.value])));
    applyChangelogBatch(store, (apply) => {
      let at = 0;
      for (const o of part) {
        const key = bytes.subarray(at, (at += o.key.length));
        const value = o.value === null ? null : bytes.subarray(at, (at += o.value.length));
        apply(key, value);
      }
    });
    bytes.fill(0x2a);
  }
}

function contents(store: KeyValueStore): Array<[string, string]> {
  return [...store.all()].map((e) => [e.key.toString('hex'), e.value.toString('hex')]);
}

async function withState<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-async-restore-'));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const arbOps = fc.array(
  fc.record({
    key: fc.uint8Array({ minLength: 1, maxLength: 12 }).map((k) => Buffer.from(k)),
    value: fc.option(fc.uint8Array({ minLength: 0, maxLength: 40 }).map((v) => Buffer.from(v)), { freq: 4 }),
  }),
  { maxLength: 300 },
);

test('LMDB: a batch restore, once settled, gives the store that single puts and deletes give', async () => {
  await fc.assert(
    fc.asyncProperty(arbOps, fc.array(fc.nat(300), { maxLength: 5 }), async (ops, cuts) =>
      withState(async (dir) => {
        const model = new InMemoryKeyValueStore('s');
        for (const o of ops) {
          if (o.value === null) model.delete(o.key);
          else model.put(o.key, Buffer.from(o.value));
        }
        const ts = await openTaskState(dir, { eos: false, sync: false });
        try {
          const store = ts.factory('s');
          restoreInBatches(store, ops, [...cuts].sort((a, b) => a - b));
          await store.restoreSettled!();
          assert.deepEqual(contents(store), contents(model));
        } finally {
          await ts.close();
        }
      }),
    ),
    { numRuns: 40 },
  );
});

/** Tumbling 10 s windows: slot keys keyWithTime(key, start), starts multiples of 10 s. */
function windowOps(n: number, seed: number): Op[] {
  return Array.from({ length: n }, (_, i) => {
    const h = Math.imul(i + 1, 0x9e3779b1 ^ seed) >>> 0;
    const key = keyWithTime(Buffer.from(`k${h % 97}`), (h % 7) * 10_000);
    return { key, value: h % 5 === 0 ? null : Buffer.from([h & 0xff, 1]) };
  });
}

test('LMDB: a deriver that reads nothing writes its index in the async restore; the index equals the one single puts derive', async () => {
  const g = { size: 10_000, advance: 10_000, close: 12_000, pane: undefined };
  assert.equal(timeIndexDeriver(g).readsStore, false);
  assert.equal(timeIndexDeriver({ size: 10_000, advance: 2_000, close: 10_000, pane: 2_000 }).readsStore, true);
  await withState(async (dir) => {
    const ops = windowOps(5_000, 7);
    const model = new LoggedKeyValueStore(new InMemoryKeyValueStore('w'), noLog);
    model.deriveWhileRestoring(timeIndexDeriver(g));
    model.restore(ops); // one record at a time, each visible at once
    const ts = await openTaskState(dir, { eos: false, sync: false });
    try {
      const store = new LoggedKeyValueStore(ts.factory('w'), noLog);
      store.deriveWhileRestoring(timeIndexDeriver(g));
      restoreInBatches(store, ops, [1_000, 2_500, 4_000]);
      assert.throws(() => store.get(ops[0]!.key), StateRestorePendingError, 'read before the restore settled');
      assert.throws(() => store.put(Buffer.from('x'), Buffer.from('y')), StateRestorePendingError, 'written before the restore settled');
      await store.restoreSettled();
      assert.equal(store.derivedRecords, ops.length);
      const expected = contents(model);
      assert.ok(expected.filter(([k]) => k.startsWith('ffffffff')).length > 100, 'index entries');
      assert.deepEqual(contents(store), expected);
      store.put(Buffer.from('x'), Buffer.from('y')); // settled: usable again
    } finally {
      await ts.close();
    }
  });
});

test('LMDB: a flush settles a pending restore (a standby checkpoints that way); the reopened store has every record', async () => {
  await withState(async (dir) => {
    const ops = windowOps(3_000, 11);
    const model = new InMemoryKeyValueStore('s');
    model.restore(ops);
    let ts = await openTaskState(dir, { eos: true, sync: false });
    try {
      const store = ts.factory('s');
      restoreInBatches(store, ops, [1_500]);
      await store.flush();
      await ts.checkpoint({ s: ops.length });
      assert.deepEqual(contents(store), contents(model));
    } finally {
      await ts.close();
    }
    ts = await openTaskState(dir, { eos: true, sync: false });
    try {
      assert.equal(ts.wiped, false);
      assert.deepEqual(contents(ts.factory('s')), contents(model));
    } finally {
      await ts.close();
    }
  });
});
