import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, json, string, hopping, windowed, type Windowed } from '../../src/index.js';
import { timeWindowReference, windowKey, type Ev } from './reference.js';

// Hopping windows with a pure aggregation (count, sum, ...) keep one pane of gcd(size, advance)
// per key and merge panes at emission; other aggregations keep one slot per window. Both must
// give the reference's windows, also across a restore from the changelog in the middle.

const OOO = 2_000;
const wserdes = { key: windowed(string()), value: json<number>() };

function build(size: number, advance: number, grace: number) {
  const app = new StreamsApp({ applicationId: 'panes' });
  const s = app.stream('events', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts, maxOutOfOrderness: OOO });
  const w = s.groupByKey().window(hopping(size, advance), { grace });
  const counts = w.count({ name: 'pane-count' });
  counts.toStream().to('count', { value: json() });
  w.sum((e) => e.n, { name: 'pane-sum' }).toStream().to('sum', { value: json() });
  // A user aggregate has no pure merge: one slot per window.
  const slots = w.aggregate(() => 0, (acc, e) => acc + e.n, { name: 'slot-sum' });
  slots.toStream().to('slot-sum', { value: json() });
  w.count({ name: 'pane-count-updates' }); // unused branch must not disturb the others
  return { app, counts, slots };
}

function results(driver: TopologyTestDriver, topic: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of driver.output(topic, wserdes).readRecords()) {
    const k = windowKey(r.key!.key, r.key!.start);
    assert.ok(!out.has(k), `window ${k} emitted once on ${topic}`);
    assert.equal(r.key!.end - r.key!.start, sizeMs(r.key!), 'window end = start + size');
    assert.equal(r.timestamp, r.key!.end - 1);
    out.set(k, r.value!);
  }
  return out;
}
let currentSize = 0;
const sizeMs = (_w: Windowed<string>) => currentSize;

const arbCase = fc.record({
  shape: fc.constantFrom([10_000, 2_000], [10_000, 4_000], [6_000, 6_000], [9_000, 3_000]),
  grace: fc.integer({ min: 0, max: 3_000 }),
  events: fc.array(
    fc.record({ key: fc.constantFrom('a', 'b', 'c', 'dd'), ts: fc.integer({ min: 0, max: 60_000 }), n: fc.integer({ min: 1, max: 9 }) }),
    { minLength: 1, maxLength: 120 },
  ),
  cut: fc.nat(),
});

test('hopping panes and per-window slots both equal the reference (count, sum, user aggregate), also restored mid-stream', () => {
  fc.assert(
    fc.property(arbCase, ({ shape: [size, advance], grace, events, cut }) => {
      currentSize = size;
      const build1 = () => build(size, advance, grace).app;
      const opts = { size, advance, grace, ooo: OOO };
      const refCount = timeWindowReference(events, opts, (acc) => (acc ?? 0) + 1).results;
      const refSum = timeWindowReference(events, opts, (acc, e) => (acc ?? 0) + e.n).results;

      // One driver from start to end.
      const d = new TopologyTestDriver(build1());
      d.input('events', { key: string(), value: json<Ev>() }).pipeAll(events.map((e) => ({ key: e.key, value: e })));
      d.drain();
      assert.deepEqual(results(d, 'count'), refCount);
      assert.deepEqual(results(d, 'sum'), refSum);
      assert.deepEqual(results(d, 'slot-sum'), refSum);

      // Stopped after `at` records, restored from the changelogs into a new driver, continued.
      const at = cut % (events.length + 1);
      const first = new TopologyTestDriver(build1());
      first.input('events', { key: string(), value: json<Ev>() }).pipeAll(events.slice(0, at).map((e) => ({ key: e.key, value: e })));
      const before = { count: results(first, 'count'), sum: results(first, 'sum'), slot: results(first, 'slot-sum') };
      const second = new TopologyTestDriver(build1(), { restoreFrom: first.snapshot() });
      // The restored driver has the same logs: skip what the first one already emitted.
      for (const t of ['count', 'sum', 'slot-sum']) second.output(t, wserdes).readRecords();
      second.input('events', { key: string(), value: json<Ev>() }).pipeAll(events.slice(at).map((e) => ({ key: e.key, value: e })));
      second.drain();
      const merged = (a: Map<string, number>, b: Map<string, number>) => {
        for (const k of b.keys()) assert.ok(!a.has(k), `window ${k} emitted before and after the restore`);
        return new Map([...a, ...b]);
      };
      assert.deepEqual(merged(before.count, results(second, 'count')), refCount);
      assert.deepEqual(merged(before.sum, results(second, 'sum')), refSum);
      assert.deepEqual(merged(before.slot, results(second, 'slot-sum')), refSum);
    }),
    { numRuns: 60 },
  );
});

test('a hopping table read through the driver: panes merged into the open windows, as the per-window slots have them', () => {
  currentSize = 10_000;
  const { app, counts, slots } = build(10_000, 2_000, 1_000);
  const d = new TopologyTestDriver(app);
  const evs: Ev[] = [
    { key: 'a', ts: 1_000, n: 1 },
    { key: 'a', ts: 3_500, n: 2 },
    { key: 'b', ts: 9_000, n: 3 },
    { key: 'a', ts: 15_000, n: 4 },
  ];
  d.input('events', { key: string(), value: json<Ev>() }).pipeAll(evs.map((e) => ({ key: e.key, value: e })));
  const byWindow = (entries: Array<[Windowed<string>, number]>) =>
    new Map(entries.map(([k, v]) => [windowKey(k.key, k.start), v]));
  const paneCounts = byWindow(d.tableEntries(counts));
  const slotSums = byWindow(d.tableEntries(slots));
  // Watermark 13 s: the windows closing at <= 13 s (start <= 2 s) were emitted and left the
  // table; a's panes at 1 s and 3.5 s belong only to those. Open: a's at 15 s, b's at 9 s.
  const open = new Map([
    ...[6_000, 8_000, 10_000, 12_000, 14_000].map((s) => [windowKey('a', s), 1] as const),
    ...[4_000, 6_000, 8_000].map((s) => [windowKey('b', s), 1] as const),
  ]);
  assert.deepEqual(paneCounts, open);
  assert.deepEqual(slotSums, new Map([...open.keys()].map((k) => [k, k.startsWith('a') ? 4 : 3])));
});
