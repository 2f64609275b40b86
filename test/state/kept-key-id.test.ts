import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import { LoggedKeyValueStore } from '../../src/state/logged-store.js';
import type { ChangelogEntry } from '../../src/state/changelog.js';

// put/delete may carry the key's latin1 string (`id`), which a window operator keeps per slot so
// that the in-memory store makes and hashes no string per write. Writing with kept ids — the same
// string object every time, as the operator does, or a fresh one — must leave the store, its scans
// and the logged store's changelog exactly as writing without them.

const opArb = fc.array(
  fc.record({
    key: fc.uint8Array({ minLength: 0, maxLength: 6 }).map((a) => Buffer.from(a)),
    del: fc.boolean(),
    value: fc.nat(255),
    kept: fc.boolean(),
  }),
  { maxLength: 200 },
);

function entries(s: InMemoryKeyValueStore): string[] {
  return [...s.all()].map((e) => `${e.key.toString('hex')}=${e.value.toString('hex')}`);
}

test('in-memory and logged store: writes with a kept id equal writes without, in the store, its scans and the changelog', () => {
  fc.assert(
    fc.property(opArb, fc.boolean(), (ops, scanFirst) => {
      const plain = new InMemoryKeyValueStore('s');
      const withIds = new InMemoryKeyValueStore('s');
      const logPlain: ChangelogEntry[] = [];
      const logIds: ChangelogEntry[] = [];
      const a = new LoggedKeyValueStore(plain, { append: (e) => logPlain.push(e) });
      const b = new LoggedKeyValueStore(withIds, { append: (e) => logIds.push(e) });
      // Indexed (a scan happened) or not: a new key goes into the sorted index by its id.
      if (scanFirst) {
        [...plain.all()];
        [...withIds.all()];
      }
      const kept = new Map<string, string>();
      for (const op of ops) {
        const fresh = op.key.toString('latin1');
        let id = kept.get(fresh);
        if (id === undefined) kept.set(fresh, (id = fresh));
        const given = op.kept ? id : (' ' + fresh).slice(1);
        if (op.del) assert.equal(b.delete(Buffer.from(op.key), given), a.delete(Buffer.from(op.key)));
        else {
          a.put(Buffer.from(op.key), Buffer.from([op.value]));
          b.put(Buffer.from(op.key), Buffer.from([op.value]), given);
        }
      }
      assert.deepEqual(entries(withIds), entries(plain));
      assert.equal(withIds.size, plain.size);
      for (const [k] of kept) assert.deepEqual(withIds.get(Buffer.from(k, 'latin1')), plain.get(Buffer.from(k, 'latin1')));
      const log = (l: ChangelogEntry[]) => l.map((e) => `${e.store}:${e.key.toString('hex')}=${e.value === null ? 'null' : e.value.toString('hex')}`);
      assert.deepEqual(log(logIds), log(logPlain));
    }),
    { numRuns: 300 },
  );
});
