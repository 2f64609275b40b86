// A process()'s map state keeps its entries decoded in the record cache, one cache entry per map
// entry, and writes changed entries to the store (and so its changelog) once per commit: every
// get/has/set/delete/entries/clear answers as a plain Map per key would, with unbounded and
// bounded caches (entries evicted through the store), the store as a commit leaves it holds
// exactly the live entries, and a restore continues from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, TopologyTestDriver, custom, json, string, type MapState, type ValueState } from '../../src/index.js';
import type { DriverSnapshot } from '../../src/engine/test-driver.js';
import { decodeState, StoreKeyCodec } from '../../src/engine/codec.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import { rng } from '../support/rng.js';
import { CountingStore, countingDriver } from '../support/counting-store.js';

/** Map keys of every kind the index treats apart: numbers, strings, -0 (not indexed), arrays (not plain). */
type KeyKind = { n: number } | { s: string } | { negZero: true } | { arr: number[] };
type Op = { op: 'get' | 'has' | 'del'; k: KeyKind } | { op: 'set'; k: KeyKind; v: number } | { op: 'entries' } | { op: 'clear' };

function mapKey(k: KeyKind): unknown {
  if ('n' in k) return k.n;
  if ('s' in k) return k.s;
  if ('negZero' in k) return -0;
  return k.arr;
}

/** The map key's identity as the store sees it (its bytes): -0 and 0 differ, arrays by content. */
function idOf(k: unknown): string {
  if (Object.is(k, -0)) return 'n:-0';
  return `${typeof k}:${JSON.stringify(k)}`;
}

function show(entries: Array<[unknown, unknown]>): string {
  return entries
    .map(([k, v]) => `${idOf(k)}=${String(v)}`)
    .sort()
    .join(',');
}

const BOUND = 4 * 1024;

function app(): StreamsApp {
  const a = new StreamsApp({ applicationId: 'map-state' });
  a.stream('ops', { key: string(), value: json<Op>() })
    .process<string, string>(
      () => {
        let m!: MapState<unknown, number>;
        return {
          init(ctx) {
            m = ctx.state.map('m');
          },
          process(r, ctx) {
            const o = r.value;
            let out: string;
            switch (o.op) {
              case 'get':
                out = String(m.get(mapKey(o.k)));
                break;
              case 'has':
                out = String(m.has(mapKey(o.k)));
                break;
              case 'set':
                m.set(mapKey(o.k), o.v);
                out = 'ok';
                break;
              case 'del':
                m.delete(mapKey(o.k));
                out = 'ok';
                break;
              case 'entries':
                out = show(m.entries());
                break;
              case 'clear':
                m.clear();
                out = 'ok';
                break;
            }
            ctx.forward(ctx.key, out);
          },
        };
      },
      { name: 'maps' },
    )
    .to('out', { value: string() });
  return a;
}

function driverOf(stores: CountingStore[], bounded: boolean, restoreFrom?: DriverSnapshot): TopologyTestDriver {
  return countingDriver(app(), stores, bounded ? BOUND : undefined, restoreFrom);
}

/** A random operation; keys drawn from a few dozen of each kind so that entries are hit again. */
function randomOp(r: () => number, scans = true): Op {
  const kind = r();
  const k: KeyKind =
    kind < 0.45 ? { n: Math.floor(r() * 40) } : kind < 0.85 ? { s: `m${Math.floor(r() * 40)}` } : kind < 0.9 ? { negZero: true } : { arr: [Math.floor(r() * 3), 1] };
  const x = r();
  if (x < 0.4) return { op: 'set', k, v: Math.floor(r() * 1000) };
  if (x < 0.7) return { op: 'get', k };
  if (x < 0.8) return { op: 'has', k };
  if (x < 0.95 || !scans) return { op: 'del', k };
  if (x < 0.995) return { op: 'entries' };
  return { op: 'clear' };
}

/** The reference: a Map per record key, by the map key's identity. */
class Reference {
  readonly byKey = new Map<string, Map<string, [unknown, number]>>();
  apply(key: string, o: Op): string {
    let m = this.byKey.get(key);
    if (m === undefined) this.byKey.set(key, (m = new Map()));
    switch (o.op) {
      case 'get':
        return String(m.get(idOf(mapKey(o.k)))?.[1]);
      case 'has':
        return String(m.has(idOf(mapKey(o.k))));
      case 'set':
        m.set(idOf(mapKey(o.k)), [mapKey(o.k), o.v]);
        return 'ok';
      case 'del':
        m.delete(idOf(mapKey(o.k)));
        return 'ok';
      case 'entries':
        return show([...m.values()]);
      case 'clear':
        m.clear();
        return 'ok';
    }
  }
  /** Every live entry as `key|mapKeyId=value`, sorted. */
  stored(): string[] {
    const out: string[] = [];
    for (const [k, m] of this.byKey) for (const [id, [, v]] of m) out.push(`${k}|${id}=${v}`);
    return out.sort();
  }
}

/** The state store's entries of map 'm', decoded (keys: [u16 len][name][u32 len][key][map key]). */
function storedEntries(store: InMemoryKeyValueStore): string[] {
  const keys = new StoreKeyCodec(string());
  const mapKeys = new StoreKeyCodec(undefined);
  const out: string[] = [];
  for (const e of store.all()) {
    const n = e.key.readUInt16BE(0);
    assert.equal(e.key.toString('utf8', 2, 2 + n), 'm');
    const kl = e.key.readUInt32BE(2 + n);
    const key = keys.decode(e.key.subarray(6 + n, 6 + n + kl)) as string;
    const mk = mapKeys.decode(e.key.subarray(6 + n + kl));
    const [v] = decodeState<[number, number]>(e.value);
    out.push(`${key}|${idOf(mk)}=${v}`);
  }
  return out.sort();
}

for (const bounded of [false, true]) {
  test(`map state over 60 keys (${bounded ? 'bounded' : 'unbounded'} cache): every answer, the store after each commit, one write per changed entry per commit, and a restore match a Map per key`, () => {
    const r = rng(bounded ? 11 : 7);
    // Every other batch of 500 has no entries()/clear() (which write changes back early).
    const ops = Array.from({ length: 12_000 }, (_, i) => ({ key: `k${Math.floor(r() * 60)}`, value: randomOp(r, Math.floor(i / 500) % 2 === 0) }));
    const ref = new Reference();
    const stores: CountingStore[] = [];
    const driver = driverOf(stores, bounded);
    try {
      const input = driver.input('ops', { key: string(), value: json<Op>() });
      const out = driver.output('out', { key: string(), value: string() });
      const store = stores.find((s) => s.name.endsWith('maps-state'))!;
      for (let i = 0; i < ops.length; i += 500) {
        const batch = ops.slice(i, i + 500);
        const puts = store.puts;
        input.pipeAll(batch);
        const expected = batch.map((o) => ref.apply(o.key, o.value));
        assert.deepEqual(out.readValues(), expected, `answers of ops ${i}..${i + batch.length}`);
        // Each pipeAll is a commit: the store then holds exactly the live entries.
        assert.deepEqual(storedEntries(store), ref.stored());
        if (!bounded && !batch.some((o) => o.value.op === 'entries' || o.value.op === 'clear')) {
          // One write per (key, map key) whose last change in the batch is a set, however often it was set.
          const lastChange = new Map<string, string>();
          for (const o of batch) if (o.value.op === 'set' || o.value.op === 'del') lastChange.set(`${o.key}|${idOf(mapKey(o.value.k))}`, o.value.op);
          const written = [...lastChange.values()].filter((op) => op === 'set').length;
          const sets = batch.filter((o) => o.value.op === 'set').length;
          assert.ok(sets > written, `${sets} sets of ${written} entries: some entry is set twice`);
          assert.equal(store.puts - puts, written);
        }
      }
      assert.ok(ref.stored().length > 500, `${ref.stored().length} live entries`);

      const restored = driverOf([], bounded, driver.snapshot());
      try {
        const more = Array.from({ length: 2_000 }, () => ({ key: `k${Math.floor(r() * 60)}`, value: randomOp(r) }));
        restored.input('ops', { key: string(), value: json<Op>() }).pipeAll(more);
        assert.deepEqual(
          restored.output('out', { key: string(), value: string() }).readValues(),
          more.map((o) => ref.apply(o.key, o.value)),
        );
      } finally {
        restored.close();
      }
    } finally {
      driver.close();
    }
  });
}

test('map state with an event-time TTL: an entry expires once the watermark passes written + ttl, and leaves the store', () => {
  const a = new StreamsApp({ applicationId: 'map-ttl' });
  a.stream('ev', { key: string(), value: json<{ mk: number; ts: number; set: boolean }>(), timestamp: (e) => e.ts })
    .process<string, string>(
      () => {
        let m!: MapState<number, number>;
        return {
          init(ctx) {
            m = ctx.state.map('m', { ttl: '10s' });
          },
          process(r, ctx) {
            if (r.value.set) m.set(r.value.mk, r.value.ts);
            ctx.forward(ctx.key, `${r.value.mk}:${String(m.get(r.value.mk))}`);
          },
        };
      },
      { name: 'ttl' },
    )
    .to('out', { value: string() });
  const stores: InMemoryKeyValueStore[] = [];
  const driver = new TopologyTestDriver(a, {
    stateStore: () => (name) => {
      const s = new InMemoryKeyValueStore(name);
      stores.push(s);
      return s;
    },
  });
  try {
    const input = driver.input('ev', { key: string(), value: json<{ mk: number; ts: number; set: boolean }>() });
    input.pipe({ key: 'a', value: { mk: 1, ts: 1_000, set: true } });
    input.pipe({ key: 'a', value: { mk: 2, ts: 5_000, set: true } });
    // Each record sees the watermark max(earlier timestamps); entry 1 lives until 1s + 10s.
    input.pipe({ key: 'a', value: { mk: 1, ts: 10_500, set: false } }); // watermark 5s: alive
    input.pipe({ key: 'a', value: { mk: 1, ts: 12_000, set: false } }); // watermark 10.5s: alive
    input.pipe({ key: 'a', value: { mk: 1, ts: 12_500, set: false } }); // watermark 12s: expired
    input.pipe({ key: 'a', value: { mk: 2, ts: 12_500, set: false } }); // written at 5s: alive
    assert.deepEqual(driver.output('out', { value: string() }).readValues(), ['1:1000', '2:5000', '1:1000', '1:1000', '1:undefined', '2:5000']);
    const store = stores.find((s) => s.name.endsWith('ttl-state'))!;
    const left = [...store.all()].map((e) => decodeState<[number, number]>(e.value)[0]);
    assert.deepEqual(left, [5_000]);
  } finally {
    driver.close();
  }
});

test('value and map state follow the current key when a key serde hands the same Buffer back with other bytes', () => {
  const shared = Buffer.alloc(4);
  const reusing = custom<string>({
    name: 'reusing',
    serialize: (s) => {
      shared.fill(0);
      shared.write(s, 'latin1');
      return shared;
    },
    deserialize: (b) => b.toString('latin1').replace(/\0+$/, ''),
  });
  const a = new StreamsApp({ applicationId: 'reused-key' });
  a.stream('ev', { key: string(), value: json<number>() })
    .groupByKey({ key: reusing })
    .process<string, string>(
      () => {
        let count!: ValueState<number>;
        let seen!: MapState<number, number>;
        return {
          init(ctx) {
            count = ctx.state.value('count');
            seen = ctx.state.map('seen');
          },
          process(r, ctx) {
            count.set((count.get() ?? 0) + 1);
            seen.set(r.value, (seen.get(r.value) ?? 0) + 1);
            ctx.forward(ctx.key, `${ctx.key}:${count.get()}:${seen.get(r.value)}`);
          },
        };
      },
      { name: 'reused' },
    )
    .to('out', { value: string() });
  const driver = new TopologyTestDriver(a);
  try {
    const input = driver.input('ev', { key: string(), value: json<number>() });
    input.pipeAll([
      { key: 'a', value: 1 },
      { key: 'b', value: 1 },
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
      { key: 'a', value: 2 },
      { key: 'a', value: 1 },
    ]);
    assert.deepEqual(driver.output('out', { value: string() }).readValues(), ['a:1:1', 'b:1:1', 'a:2:2', 'b:2:1', 'a:3:1', 'a:4:3']);
  } finally {
    driver.close();
  }
});
