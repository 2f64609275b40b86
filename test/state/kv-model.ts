/**
 * The model check every KeyValueStore passes: random puts, deletes, gets, range scans (bounded
 * and open), full scans, flushes and writes while iterating, run against the store under test,
 * against a plain Map model (sorted by Buffer.compare: unsigned byte order), and against the
 * in-memory store, which must give the same results step by step.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import type { KeyValueStore } from '../../src/state/kv-store.js';

export type Op =
  | { op: 'put'; key: Uint8Array; value: Uint8Array }
  | { op: 'delete'; key: Uint8Array }
  | { op: 'get'; key: Uint8Array }
  | { op: 'range'; from: Uint8Array | null; to: Uint8Array | null }
  | { op: 'flush' }
  | { op: 'purge-while-iterating'; every: number };

// Small alphabets make collisions (overwrites, deletes of present keys, shared prefixes) common,
// and 0x00/0xff bytes test the ordering edges.
const byte = fc.constantFrom(0x00, 0x01, 0x61, 0x62, 0x7f, 0x80, 0xff);
const key = fc.array(byte, { maxLength: 3 }).map((a) => Uint8Array.from(a));
const value = fc.uint8Array({ maxLength: 4 });

export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('put' as const), key, value }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('get' as const), key }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('range' as const), from: fc.option(key, { nil: null }), to: fc.option(key, { nil: null }) }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'flush' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('purge-while-iterating' as const), every: fc.integer({ min: 1, max: 3 }) }) },
);

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Runs `ops` on `store`, a fresh in-memory store and a Map model; asserts they agree at every step. */
export async function checkAgainstModel(store: KeyValueStore, ops: readonly Op[]): Promise<void> {
  const mem = new InMemoryKeyValueStore('model');
  const model = new Map<string, Buffer>();
  const sortedModel = () => [...model.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'hex'), Buffer.from(b, 'hex')));
  const dump = (s: KeyValueStore, from?: Buffer, to?: Buffer) => [...s.range(from, to)].map((e) => [hex(e.key), hex(e.value)]);
  for (const o of ops) {
    switch (o.op) {
      case 'put':
        store.put(Buffer.from(o.key), Buffer.from(o.value));
        mem.put(Buffer.from(o.key), Buffer.from(o.value));
        model.set(hex(o.key), Buffer.from(o.value));
        break;
      case 'delete': {
        // delete() says whether the key was there (a logged store's tombstone depends on it).
        const had = model.delete(hex(o.key));
        assert.equal(store.delete(Buffer.from(o.key)), had);
        assert.equal(mem.delete(Buffer.from(o.key)), had);
        break;
      }
      case 'get': {
        const got = store.get(Buffer.from(o.key));
        assert.deepEqual(got && hex(got), model.get(hex(o.key)) && hex(model.get(hex(o.key))!));
        assert.deepEqual(got && hex(got), mem.get(Buffer.from(o.key)) && hex(mem.get(Buffer.from(o.key))!));
        break;
      }
      case 'range': {
        const from = o.from ? Buffer.from(o.from) : undefined;
        const to = o.to ? Buffer.from(o.to) : undefined;
        const expected = sortedModel()
          .filter((k) => (!from || Buffer.compare(Buffer.from(k, 'hex'), from) >= 0) && (!to || Buffer.compare(Buffer.from(k, 'hex'), to) < 0))
          .map((k) => [k, hex(model.get(k)!)]);
        assert.deepEqual(dump(store, from, to), expected);
        assert.deepEqual(dump(mem, from, to), expected);
        break;
      }
      case 'flush':
        await store.flush();
        break;
      case 'purge-while-iterating': {
        // Delete every `every`-th key while scanning, and insert a key after the cursor (visited)
        // and one before it (not visited), like a window purge that writes as it goes.
        const run = (s: KeyValueStore, m: Map<string, Buffer> | undefined) => {
          const seen: string[] = [];
          let i = 0;
          for (const e of s.all()) {
            seen.push(hex(e.key));
            if (i++ % o.every === 0) {
              s.delete(e.key);
              m?.delete(hex(e.key));
            }
            if (i === 2) {
              const after = Buffer.concat([e.key, Buffer.from([0x00])]); // right after the cursor
              s.put(after, Buffer.from('a'));
              m?.set(hex(after), Buffer.from('a'));
            }
          }
          return seen;
        };
        assert.deepEqual(run(store, model), run(mem, undefined));
        break;
      }
    }
  }
  assert.equal(store.size, model.size);
  assert.deepEqual(dump(store), dump(mem));
  assert.deepEqual(dump(store).map((e) => e[0]), sortedModel());
}

/** fast-check wrapper: `makeStore` gives an empty store per run. */
export async function modelProperty(makeStore: () => KeyValueStore | Promise<KeyValueStore>, numRuns = 150): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), async (ops) => {
      const store = await makeStore();
      await checkAgainstModel(store, ops);
    }),
    { numRuns },
  );
}
