// Session windows keep their open sessions decoded in a record cache and write the store at each
// flush (session-aggregate.ts). The cache, bounded or not, must not change a result: final and
// update modes agree with a plain evaluation, a bounded cache stays within its bound while
// evicting, and a run restored from the changelogs continues as if it had not stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, TopologyTestDriver, json, session, string, windowed } from '../../src/index.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import { SessionAggregateOperator } from '../../src/engine/operators/session-aggregate.js';
import { sessionReference, windowKey, type Ev } from './reference.js';
import { rng } from '../support/rng.js';

const GAP = 3_000;
const GRACE = 1_000;
const OOO = 2_000;
/** Room for a few dozen keys: most of the 1,500 keys must go through the store. */
const BOUND = 8 * 1024;

/** Events roughly in time order, each less than OOO early (none late): out-of-order ones bridge sessions. */
function events(n: number, keys: number, seed: number): Ev[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => ({ key: `k${Math.floor(r() * keys)}`, ts: Math.max(0, i * 5 - Math.floor(r() * OOO)), n: 1 + Math.floor(r() * 9) }));
}

interface Acc {
  count: number;
  sum: number;
}

function app() {
  const a = new StreamsApp({ applicationId: 'session-cache', maxOutOfOrderness: OOO });
  const s = a.stream('in', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts });
  const agg = (): [() => Acc, (acc: Acc, e: Ev) => Acc, (x: Acc, y: Acc) => Acc] => [
    () => ({ count: 0, sum: 0 }),
    // in place, as an aggregator may: the cache then holds the very object the next record updates
    (acc, e) => {
      acc.count++;
      acc.sum += e.n;
      return acc;
    },
    (x, y) => ({ count: x.count + y.count, sum: x.sum + y.sum }),
  ];
  s.groupByKey().window(session(GAP), { grace: GRACE }).aggregate(...agg()).toStream().to('final', { value: json<Acc>() });
  s.groupByKey({ name: 'updates' }).window(session(GAP), { grace: GRACE, emit: 'update' }).aggregate(...agg()).to('updates', { value: json<Acc>() });
  return a;
}

const bounded = () => (name: string) => new InMemoryKeyValueStore(name, { cacheMaxBytes: BOUND });

function feed(driver: TopologyTestDriver, evs: readonly Ev[], check?: () => void): void {
  const input = driver.input('in', { key: string(), value: json<Ev>() });
  for (let i = 0; i < evs.length; i += 250) {
    input.pipeAll(evs.slice(i, i + 250).map((e) => ({ key: e.key, value: e, timestamp: e.ts })));
    check?.();
  }
}

/** Final sessions as `key@start` -> [end, count, sum]. */
function finals(driver: TopologyTestDriver): Map<string, [number, number, number]> {
  const out = new Map<string, [number, number, number]>();
  for (const r of driver.output('final', { key: windowed(string()), value: json<Acc>() }).readRecords()) {
    const k = windowKey(r.key!.key, r.key!.start);
    assert.ok(!out.has(k), `session ${k} emitted twice in final mode`);
    out.set(k, [r.key!.end, r.value!.count, r.value!.sum]);
  }
  return out;
}

/**
 * Update mode: the last emission per session window (key, start, end); a session merged away or
 * extended ends with a null, so the windows whose last emission is a value are the final sessions.
 */
function standing(records: ReadonlyArray<{ key: { key: string; start: number; end: number } | null; value: Acc | null }>): Map<string, [number, number, number]> {
  const last = new Map<string, { end: number; value: Acc | null }>();
  for (const r of records) last.set(`${windowKey(r.key!.key, r.key!.start)}-${r.key!.end}`, { end: r.key!.end, value: r.value });
  const out = new Map<string, [number, number, number]>();
  for (const [k, { end, value }] of last) if (value !== null) out.set(k.slice(0, k.lastIndexOf('-')), [end, value.count, value.sum]);
  return out;
}

const updateRecords = (d: TopologyTestDriver) => d.output('updates', { key: windowed(string()), value: json<Acc>() }).readRecords();

const sessionOps = (d: TopologyTestDriver) => d.allTasks[0]!.operators.filter((o): o is SessionAggregateOperator => o instanceof SessionAggregateOperator);

const evs = events(12_000, 1_500, 11);
const ref = sessionReference(evs, { gap: GAP, grace: GRACE, ooo: OOO });
const expected = new Map([...ref.sessions].map(([k, s]) => [k, [s.end, s.count, s.sum] as [number, number, number]]));

for (const kind of ['unbounded', 'bounded'] as const) {
  test(`session windows over 1,500 keys, ${kind} cache: final and update results equal a plain evaluation`, () => {
    const driver = new TopologyTestDriver(app(), kind === 'bounded' ? { stateStore: bounded } : {});
    const ops = sessionOps(driver);
    assert.equal(ops.length, 2);
    feed(driver, evs, () => {
      for (const op of ops) {
        assert.equal(op.cache.maxBytes, kind === 'bounded' ? BOUND : Infinity);
        if (kind === 'bounded') assert.ok(op.cache.bytes <= BOUND, `cache holds ${op.cache.bytes} bytes, bound ${BOUND}`);
      }
    });
    driver.drain();
    if (kind === 'bounded') for (const op of ops) assert.ok(op.cache.evictions > 1_000, `${op.cache.evictions} evictions`);
    assert.ok(ref.late.length === 0 && expected.size > 2_000, `${ref.late.length} late, ${expected.size} sessions`);
    assert.deepEqual(finals(driver), expected);
    const ups = updateRecords(driver);
    assert.ok(ups.some((r) => r.value === null), 'merges emitted deletes');
    assert.deepEqual(standing(ups), expected);
  });
}

test('restored from the changelogs midway (bounded cache), sessions continue with the uninterrupted results', () => {
  for (const cut of [3_001, 7_777]) {
    const first = new TopologyTestDriver(app(), { stateStore: bounded });
    feed(first, evs.slice(0, cut));
    const before = finals(first);
    const beforeUpdates = updateRecords(first);
    const second = new TopologyTestDriver(app(), { stateStore: bounded, restoreFrom: first.snapshot() });
    feed(second, evs.slice(cut));
    second.drain();
    const after = finals(second);
    for (const k of after.keys()) assert.ok(!before.has(k), `${k} closed twice`);
    assert.deepEqual(new Map([...before, ...after]), expected, `cut at ${cut}`);
    assert.ok(before.size > 0 && after.size > 0);
    // update mode: the changes of both runs, in order, leave the uninterrupted run's sessions
    assert.deepEqual(standing([...beforeUpdates, ...updateRecords(second)]), expected);
  }
});
