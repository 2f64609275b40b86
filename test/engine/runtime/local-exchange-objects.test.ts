/**
 * The local exchange hands the reading task key and value objects (the serdes' copies) instead of
 * bytes: same outputs, dead letters and partitions as through the repartition topic, serdes not
 * called for the repartition, JSON's rules kept, and no object shared between writer and reader.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { StreamsApp, bytes, custom, embedded, float64, json, string, windowed, type Serde } from '../../../src/index.js';
import { jsonCopy } from '../../../src/engine/serdes.js';
import type { LogManager } from '../../../src/log/log-manager.js';
import { openLog, produce, readTopic, tempDir, type In } from './helpers.js';

type Mode = 'log' | 'memory-bytes' | 'memory';
const MODES: readonly Mode[] = ['log', 'memory-bytes', 'memory'];
const modeOptions = (m: Mode) => ({ localRepartition: m !== 'log', localRepartitionObjects: m === 'memory' });

interface Ev {
  user: string;
  n: number;
  ts: number;
}

const PARTITIONS = 3;

function events(count: number): In[] {
  const out: In[] = [];
  for (let i = 0; i < count; i++) {
    const ev: Ev = { user: `u${(i * 7) % 23}`, n: i, ts: 1_000 + i * 10 };
    out.push({ key: `k${i % 5}`, value: JSON.stringify(ev), timestamp: ev.ts });
  }
  return out;
}

/** A serde that counts its calls; `copy` as its round trip would give (a new object). */
function counting<T extends object>(): Serde<T> & { calls: { serialize: number; deserialize: number; copy: number } } {
  const calls = { serialize: 0, deserialize: 0, copy: 0 };
  const inner = json<T>();
  return Object.assign(
    custom<T>({
      name: 'counting',
      serialize: (v) => (calls.serialize++, inner.serialize(v)),
      deserialize: (b) => (calls.deserialize++, inner.deserialize(b)),
      copy: (v) => (calls.copy++, inner.copy!(v)),
    }),
    { calls },
  );
}

/** Output records in a comparable form: per partition in offset order, key and value as text. */
function outputs(log: LogManager, topic: string): string[] {
  return readTopic(log, topic).map((r) => `${r.partition}|${r.key?.toString() ?? 'null'}|${r.value?.toString() ?? 'null'}|${r.timestamp}`);
}

/** partition|key -> that key's records in order (what a repartition keeps: per-key order). */
function perKey(rows: readonly string[]): Array<[string, string[]]> {
  const m = new Map<string, string[]>();
  for (const r of rows) {
    const [p, k] = r.split('|');
    const id = `${p}|${k}`;
    if (!m.has(id)) m.set(id, []);
    m.get(id)!.push(r);
  }
  return [...m.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1));
}

async function withLog(fn: (log: LogManager, dir: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    await fn(log, dir);
  } finally {
    await log.close();
    cleanup();
  }
}

test('keyBy over 3 partitions in one process: the value is handed over as its copy (serde never called on the repartition), same outputs and partitions as through the log', async () => {
  await withLog(async (log, dir) => {
    await log.createTopic('in', { partitions: PARTITIONS });
    const input = events(3_000);
    await produce(log, 'in', input, 200);
    const got = new Map<Mode, string[]>();
    for (const mode of MODES) {
      const serde = counting<Ev>();
      const app = new StreamsApp({ applicationId: `c-${mode}` });
      app
        .stream('in', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts })
        .keyBy((e) => e.user, { key: string(), value: serde })
        .toStream()
        .mapValues((e, k) => `${k}:${e.n}`)
        .to(`c-${mode}-out`, { key: string(), value: string() });
      const summary = await app.run({ until: 'end', log: embedded({ manager: log }), stateDir: join(dir, `s-${mode}`), commitIntervalMs: 20, ...modeOptions(mode) });
      assert.equal(summary.recordsOut[`c-${mode}-out`], input.length);
      got.set(mode, outputs(log, `c-${mode}-out`));
      if (mode === 'memory') {
        assert.deepEqual(serde.calls, { serialize: 0, deserialize: 0, copy: input.length }, 'objects: copied once each, no bytes');
      } else {
        assert.equal(serde.calls.serialize, input.length, `${mode}: serialized`);
        assert.equal(serde.calls.deserialize, input.length, `${mode}: parsed`);
        assert.equal(serde.calls.copy, 0);
      }
    }
    assert.equal(got.get('log')!.length, input.length);
    // Every user's records in the same output partition, in the same order (the partitions were chosen from the same
    // key bytes); how the three writing tasks' records interleave in a partition depends on when each was read.
    assert.deepEqual(perKey(got.get('memory')!), perKey(got.get('log')!));
    assert.deepEqual(perKey(got.get('memory-bytes')!), perKey(got.get('log')!));
  });
});

test('json() values across a repartition follow JSON in every mode: undefined members dropped, NaN -> null, -0 -> 0, Dates as text', async () => {
  await withLog(async (log, dir) => {
    await log.createTopic('in', { partitions: 1 });
    await produce(log, 'in', events(40));
    const got = new Map<Mode, string[]>();
    for (const mode of MODES) {
      const app = new StreamsApp({ applicationId: `j-${mode}` });
      app
        .stream('in', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts })
        .mapValues((e) => ({
          n: e.n,
          gone: undefined,
          nan: NaN,
          negZero: -0,
          list: [undefined, 1, () => 2],
          nested: { f: () => 1, keep: 'x' },
          // Every 4th value has a Date: JSON turns it into its ISO text (toJSON), the copy leaves it to the bytes.
          ...(e.n % 4 === 0 ? { at: new Date(e.ts) } : {}),
        }))
        .keyBy((v) => v.n % 3, { key: float64(), value: json() })
        .toStream()
        .mapValues((v: Record<string, unknown>) =>
          JSON.stringify({
            keys: Object.keys(v),
            hasGone: 'gone' in v,
            nan: v.nan,
            negZeroIsZero: Object.is(v.negZero, 0),
            list: v.list,
            nested: v.nested,
            at: typeof v.at,
          }),
        )
        .to(`j-${mode}-out`, { value: string() });
      await app.run({ until: 'end', log: embedded({ manager: log }), stateDir: join(dir, `s-${mode}`), ...modeOptions(mode) });
      got.set(mode, readTopic(log, `j-${mode}-out`).map((r) => r.value!.toString()));
    }
    const first = JSON.parse(got.get('log')![0]!) as Record<string, unknown>;
    assert.deepEqual(first, { keys: ['n', 'nan', 'negZero', 'list', 'nested', 'at'], hasGone: false, nan: null, negZeroIsZero: true, list: [null, 1, null], nested: { keep: 'x' }, at: 'string' });
    assert.equal(got.get('log')!.length, 40);
    assert.deepEqual(got.get('memory'), got.get('log'));
    assert.deepEqual(got.get('memory-bytes'), got.get('log'));
  });
});

test('an upstream that reuses and mutates the object it sent, and a downstream that mutates what it got, do not see each other', async () => {
  await withLog(async (log, dir) => {
    await log.createTopic('in', { partitions: 1 });
    const input = events(500);
    await produce(log, 'in', input);
    const got = new Map<Mode, string[]>();
    for (const mode of MODES) {
      const shared = { n: -1, tag: 'writer' };
      let tampered = 0;
      const app = new StreamsApp({ applicationId: `m-${mode}` });
      app
        .stream('in', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts })
        .mapValues((e) => {
          if (shared.tag !== 'writer') tampered++;
          // One object for every record: the reader processes the repartitioned records later (after the chunk).
          shared.n = e.n;
          return shared;
        })
        .keyBy((v) => `g${v.n % 4}`, { key: string(), value: json<{ n: number; tag: string }>() })
        .toStream()
        .mapValues((v) => {
          const seen = `${v.n}`;
          v.tag = 'reader'; // the reader's own copy: the writer's object must not change
          return seen;
        })
        .to(`m-${mode}-out`, { value: string() });
      await app.run({ until: 'end', log: embedded({ manager: log }), stateDir: join(dir, `s-${mode}`), ...modeOptions(mode) });
      assert.equal(tampered, 0, `${mode}: the writer's object was changed by the reader`);
      got.set(mode, readTopic(log, `m-${mode}-out`).map((r) => r.value!.toString()));
    }
    assert.deepEqual(new Set(got.get('log')), new Set(input.map((_, i) => String(i))), 'each record as it was when sent');
    assert.deepEqual(got.get('memory'), got.get('log'));
  });
});

test("a dead letter from the reading side carries the record's bytes, encoded then (once per dead letter)", async () => {
  await withLog(async (log, dir) => {
    await log.createTopic('in', { partitions: 1 });
    const input = events(700);
    await produce(log, 'in', input);
    const got = new Map<Mode, string[]>();
    for (const mode of MODES) {
      const serde = counting<Ev>();
      const app = new StreamsApp({ applicationId: `d-${mode}` });
      app
        .stream('in', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts })
        .keyBy((e) => e.user, { key: string(), value: serde })
        .toStream()
        .mapValues((e) => {
          if (e.n % 7 === 3) throw new Error(`bad ${e.n}`);
          return e.n;
        })
        .to(`d-${mode}-out`, { value: float64() });
      await app.run({ until: 'end', log: embedded({ manager: log }), stateDir: join(dir, `s-${mode}`), ...modeOptions(mode) });
      const dlq = readTopic(log, `d-${mode}-dlq`);
      const bad = input.filter((_, i) => i % 7 === 3).length;
      assert.equal(dlq.length, bad);
      if (mode === 'memory') assert.equal(serde.calls.serialize, bad, 'bytes made for the dead letters only');
      const header = (h: readonly { key: string; value: Buffer | null }[], k: string) => h.find((x) => x.key === k)?.value?.toString();
      got.set(
        mode,
        dlq.map((r) => `${r.key!.toString()}|${r.value!.toString()}|${r.timestamp}|${header(r.headers, 'tributary.error.message')}|${header(r.headers, 'tributary.source.topic')}`),
      );
      assert.equal(readTopic(log, `d-${mode}-out`).length, input.length - bad);
    }
    assert.match(got.get('log')![0]!, /^u\d+\|\{"user":"u\d+","n":3,"ts":1030\}\|1030\|bad 3\|d-log-/);
    const strip = (xs: string[], mode: Mode) => xs.map((x) => x.replace(`d-${mode}-`, 'd-*-'));
    assert.deepEqual(strip(got.get('memory')!, 'memory'), strip(got.get('log')!, 'log'));
    assert.deepEqual(strip(got.get('memory-bytes')!, 'memory-bytes'), strip(got.get('log')!, 'log'));
  });
});

test('a serde without copy, or one that declines a value, goes as bytes; auto-format objects too', async () => {
  await withLog(async (log, dir) => {
    await log.createTopic('in', { partitions: 2 });
    const input = events(600);
    await produce(log, 'in', input);
    const got = new Map<Mode, string[]>();
    for (const mode of MODES) {
      let serialized = 0;
      const picky = custom<Ev>({
        serialize: (v) => (serialized++, Buffer.from(JSON.stringify(v))),
        deserialize: (b) => JSON.parse(b.toString()) as Ev,
        copy: (v) => (v.n % 2 === 0 ? { ...v } : undefined), // odd ones need the bytes
      });
      const app = new StreamsApp({ applicationId: `p-${mode}` });
      const byUser = app.stream('in', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts }).keyBy((e) => e.user, { key: string(), value: picky }).toStream();
      byUser.mapValues((e) => `picky ${e.n}`).to(`p-${mode}-out`, { value: string() });
      // No serde at all (auto format): a string key and an object value (V8's format, as bytes).
      byUser
        .map((e, k) => [`${k}!`, { n: e.n, when: new Date(e.ts) }] as const)
        .keyBy((v) => v.n % 5)
        .toStream()
        .mapValues((v) => `auto ${v.n} ${v.when instanceof Date ? v.when.getTime() : 'not a date'}`)
        .to(`p-${mode}-out`, { value: string() });
      await app.run({ until: 'end', log: embedded({ manager: log }), stateDir: join(dir, `s-${mode}`), ...modeOptions(mode) });
      if (mode === 'memory') assert.equal(serialized, input.filter((_, i) => i % 2 === 1).length, 'only the declined values were serialized');
      got.set(mode, outputs(log, `p-${mode}-out`).sort());
    }
    assert.equal(got.get('log')!.length, 2 * input.length);
    assert.ok(got.get('log')!.some((x) => x.includes('auto 10 1100')));
    assert.deepEqual(got.get('memory'), got.get('log'));
  });
});

test('jsonCopy is JSON.parse(JSON.stringify(v)) whenever it answers, and answers for plain JSON trees', () => {
  fc.assert(
    fc.property(fc.anything({ withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true, withBigInt: true, withObjectString: true }), (v) => {
      const c = jsonCopy(v);
      if (c === undefined) return;
      assert.deepStrictEqual(c, JSON.parse(JSON.stringify(v)));
      if (v !== null && typeof v === 'object') assert.notEqual(c, v);
    }),
    { numRuns: 2_000 },
  );
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      if (v === null) return;
      // A "__proto__" member is the one plain-JSON case left to the bytes (jsonCopy's comment).
      if (JSON.stringify(v).includes('"__proto__":')) {
        assert.equal(jsonCopy(v), undefined);
        return;
      }
      assert.deepStrictEqual(jsonCopy(v), JSON.parse(JSON.stringify(v)));
    }),
    { numRuns: 2_000 },
  );
  assert.deepStrictEqual(jsonCopy({ a: undefined, b: [undefined], c: -0, d: NaN }), { b: [null], c: 0, d: null });
  assert.equal(jsonCopy({ at: new Date(0) }), undefined, 'toJSON: the text decides');
  assert.equal(jsonCopy({ big: 1n }), undefined, 'stringify throws: serialize decides');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(jsonCopy(cyclic), undefined);
  assert.equal(jsonCopy(JSON.parse('{"__proto__":{"x":1}}')), undefined);
});

test("the built-in serdes' copy is their round trip", () => {
  const rt = <T>(s: Serde<T>, v: T) => s.deserialize(s.serialize(v));
  for (const v of ['plain', 'ünïcödé 🌊', '\ud800 lone', 'x\udc00']) assert.equal(string().copy!(v), rt(string(), v));
  for (const v of [0, -0, NaN, Infinity, -1.5e300, 2 ** 53 + 2]) assert.ok(Object.is(float64().copy!(v), rt(float64(), v)));
  const b = Buffer.from('abc');
  const c = bytes().copy!(b)!;
  assert.deepEqual(c, b);
  assert.notEqual(c, b, 'a Buffer of its own');
  const w = windowed(string());
  assert.deepEqual(w.copy!({ key: 'k', start: 10, end: 20 }), rt(w, { key: 'k', start: 10, end: 20 }));
  assert.equal(w.copy!({ key: 'k', start: 1.5, end: 20 }), undefined);
  assert.equal(windowed(json()).copy!({ key: { d: new Date(0) }, start: 0, end: 1 }), undefined);
  assert.equal(json({ parse: (x) => x as number }).copy, undefined, 'json(schema): validation needs the parse');
  assert.equal(custom({ serialize: (v: string) => Buffer.from(v), deserialize: (x) => x.toString() }).copy, undefined);
});
