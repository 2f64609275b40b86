// Window timers in the heap (unbounded cache, in-memory stores): one per key, due at the close of
// the key's earliest open window with a slot, moved on to the key's next window when it fires and
// moved earlier by an out-of-order record that opens an earlier window. Checked against results
// and timer counts computed from the input alone: after every batch the heap holds exactly one
// timer per key with an open window; every window is emitted once, with the reference's value, in
// (window, store key) order, also across a restore mid-stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, json, string, hopping, type Windowed } from '../../src/index.js';
import { timeWindowReference, windowKey, type Ev } from './reference.js';
import { OOO, countAndSumApp, windowOps, wserdes } from './window-app.js';


const build = (size: number, advance: number, grace: number): StreamsApp => countAndSumApp('key-timers', size, advance, grace);

/** Keys with a window some record counted in that the watermark (max event time - OOO) has not closed. */
function keysWithOpenWindows(events: readonly Ev[], size: number, advance: number, grace: number): number {
  if (events.length === 0) return 0;
  const W = Math.max(...events.map((e) => e.ts)) - OOO;
  const counted = timeWindowReference(events, { size, advance, grace, ooo: OOO }, (acc) => (acc ?? 0) + 1).results;
  const keys = new Set<string>();
  for (const k of counted.keys()) {
    const at = k.lastIndexOf('@');
    if (Number(k.slice(at + 1)) + size + grace > W) keys.add(k.slice(0, at));
  }
  return keys.size;
}

/** Store-key order of string keys: `[u32 length][utf8]`, by length then bytes. */
function byStoreKey(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length - y.length || Buffer.compare(x, y);
}

type Out = { key: string; start: number; value: number };
const read = (driver: TopologyTestDriver, topic: string): Out[] =>
  driver.output(topic, wserdes).readRecords().map((r) => {
    const w = r.key as Windowed<string>;
    return { key: w.key, start: w.start, value: r.value! };
  });

const arbCase = fc.record({
  shape: fc.constantFrom([10_000, 2_000], [9_000, 3_000], [10_000, 4_000], [6_000, 6_000]),
  grace: fc.integer({ min: 0, max: 3_000 }),
  events: fc.array(
    fc.record({ key: fc.constantFrom('a', 'b', 'c', 'dd', 'eee', 'f', 'é', 'zz'), ts: fc.integer({ min: 0, max: 60_000 }), n: fc.integer({ min: 1, max: 9 }) }),
    { minLength: 1, maxLength: 150 },
  ),
  batch: fc.integer({ min: 1, max: 40 }),
  cut: fc.nat(),
});

test('heap timers: one per key with an open window after every batch; each window emitted once, in (window, store key) order, equal to the reference, across a restore', () => {
  fc.assert(
    fc.property(arbCase, ({ shape: [size, advance], grace, events, batch, cut }) => {
      const at = cut % (events.length + 1);
      const out: Record<'count' | 'slots', Out[]> = { count: [], slots: [] };
      const feed = (driver: TopologyTestDriver, from: number, to: number) => {
        const input = driver.input('events', { key: string(), value: json<Ev>() });
        for (let i = from; i < to; i += batch) {
          const end = Math.min(i + batch, to);
          input.pipeAll(events.slice(i, end).map((e) => ({ key: e.key, value: e })));
          const expected = keysWithOpenWindows(events.slice(0, end), size, advance, grace);
          for (const op of windowOps(driver)) assert.equal(op.timersInMemory, expected, `timers after ${end} events`);
          for (const t of ['count', 'slots'] as const) out[t].push(...read(driver, t));
        }
      };
      const first = new TopologyTestDriver(build(size, advance, grace));
      feed(first, 0, at);
      const second = new TopologyTestDriver(build(size, advance, grace), { restoreFrom: first.snapshot() });
      second.allTasks[0]!.process([]); // opens the restored task's operators
      for (const op of windowOps(second)) assert.equal(op.timersInMemory, keysWithOpenWindows(events.slice(0, at), size, advance, grace), 'timers after the restore');
      feed(second, at, events.length);
      second.drain();
      for (const op of windowOps(second)) assert.equal(op.timersInMemory, 0);
      for (const t of ['count', 'slots'] as const) out[t].push(...read(second, t));
      const fold = { count: (acc: number | undefined) => (acc ?? 0) + 1, slots: (acc: number | undefined, e: Ev) => (acc ?? 0) + e.n };
      for (const t of ['count', 'slots'] as const) {
        const got = out[t];
        const ordered = [...got].sort((x, y) => x.start - y.start || byStoreKey(x.key, y.key));
        assert.deepEqual(got, ordered, `${t}: emitted in (window, store key) order`);
        const ref = timeWindowReference(events, { size, advance, grace, ooo: OOO }, fold[t]).results;
        assert.equal(got.length, ref.size, `${t}: each window once`);
        assert.deepEqual(new Map(got.map((o) => [windowKey(o.key, o.start), o.value])), ref);
      }
      first.close();
      second.close();
    }),
    { numRuns: 150 },
  );
});

test('an out-of-order record that opens an earlier window moves its key timer earlier', () => {
  const driver = new TopologyTestDriver(build(10_000, 2_000, 0));
  const input = driver.input('events', { key: string(), value: json<Ev>() });
  // a@20000: windows from 12000 on, the key's timer at 12000 + 10000 = 22000.
  input.pipe({ key: 'a', value: { key: 'a', ts: 20_000, n: 1 } });
  // a@14500, 5.5 s behind but within OOO of the watermark 18000: its open windows start at 10000,
  // 12000, 14000 (8000 closed at 18000), so the key's timer moves to 10000's close, 20000.
  input.pipe({ key: 'a', value: { key: 'a', ts: 14_500, n: 1 } });
  assert.deepEqual(read(driver, 'count'), []);
  // The watermark reaches 20500: window 10000 closes (the second record alone), 12000 not yet.
  input.pipe({ key: 'b', value: { key: 'b', ts: 22_500, n: 1 } });
  assert.deepEqual(read(driver, 'count'), [{ key: 'a', start: 10_000, value: 1 }]);
  for (const op of windowOps(driver)) assert.equal(op.timersInMemory, 2);
  // 22000: window 12000 (both records).
  input.pipe({ key: 'b', value: { key: 'b', ts: 24_000, n: 1 } });
  assert.deepEqual(read(driver, 'count'), [{ key: 'a', start: 12_000, value: 2 }]);
  driver.close();
});

test('a pane whose record came from a partition ahead of the task arms only the windows still open for it', () => {
  // Two source partitions, re-keyed: the window operator's watermark is the slower partition's,
  // and a record's stamp is its own partition's watermark.
  const app = new StreamsApp({ applicationId: 'key-timers-armed' });
  app
    .stream('events', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts, maxOutOfOrderness: OOO })
    .keyBy((e) => e.key, { key: string(), name: 'by-key' })
    .window(hopping(10_000, 2_000))
    .count({ name: 'count' })
    .toStream()
    .to('count', { value: json() });
  const driver = new TopologyTestDriver(app, { partitions: { events: 2 } });
  const input = driver.input('events', { key: string(), value: json<Ev>() });
  const ev = (key: string, ts: number, partition: number) => ({ key, value: { key, ts, n: 1 }, partition });
  // Partition 1: a@15000 (pane 14000, windows 6000..14000); its watermark 13000 holds the task's.
  input.pipeAll([ev('a', 15_000, 1)]);
  // Partition 0 runs ahead (watermark 28000): a@21000 (pane 20000, windows 12000..20000) is late
  // for all of them but 20000, so only 20000 gets a timer from it.
  input.pipeAll([ev('b', 30_000, 0), ev('a', 21_000, 0)]);
  // Both partitions far ahead: every window of a closes.
  input.pipeAll([ev('b', 60_000, 0), ev('b', 60_000, 1)]);
  const a = read(driver, 'count').filter((o) => o.key === 'a');
  // 16000 and 18000 hold only the pane of a@21000, which they were closed for: not emitted. 12000
  // and 14000 were armed by a@15000 and merge every pane they cover, so they count a@21000 too
  // (panes, as before this test: a per-record rule would give 1).
  assert.deepEqual(
    a.map((o) => [o.start, o.value]),
    [[6_000, 1], [8_000, 1], [10_000, 1], [12_000, 2], [14_000, 2], [20_000, 1]],
  );
  driver.close();
});
