import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, TopologyTestDriver, json, string, tumbling, hopping, session, windowed, type Windowed } from '../../src/index.js';
import { sessionReference, stamps, timeWindowReference, windowKey, windowStarts, type Ev } from './reference.js';

// Out of order, with duplicates of timestamps and records far behind the watermark.
const events: Ev[] = [
  { key: 'a', ts: 1_000, n: 1 },
  { key: 'b', ts: 4_000, n: 2 },
  { key: 'a', ts: 9_500, n: 3 },
  { key: 'a', ts: 3_000, n: 4 }, // behind, but within out-of-orderness + grace
  { key: 'b', ts: 12_000, n: 5 },
  { key: 'a', ts: 12_000, n: 6 },
  { key: 'b', ts: 25_000, n: 7 },
  { key: 'a', ts: 8_000, n: 8 }, // late: [0,10s) closed once the watermark reached 10s + grace
  { key: 'b', ts: 19_000, n: 9 },
  { key: 'a', ts: 31_000, n: 10 },
  { key: 'b', ts: 2_000, n: 11 }, // late
  { key: 'a', ts: 24_500, n: 12 },
];

function app(build: (s: ReturnType<typeof source>) => void, id = 'win') {
  const a = new StreamsApp({ applicationId: id });
  build(source(a));
  return a;
}

function source(a: StreamsApp) {
  return a.stream('events', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts, maxOutOfOrderness: '2s' });
}

function pipe(driver: TopologyTestDriver, evs: readonly Ev[]) {
  driver.input('events', { key: string(), value: json<Ev>() }).pipeAll(evs.map((e) => ({ key: e.key, value: e })));
}

const wkey = (w: Windowed<string>) => windowKey(w.key, w.start);
const wserdes = { key: windowed(string()), value: json<number>() };

test('tumbling count, emit final: one result per window, only once the watermark passes end + grace; late records to late()', () => {
  let late!: ReturnType<typeof source>;
  const a = app((s) => {
    const w = s.groupByKey().window(tumbling('10s'), { grace: '1s' });
    w.count().toStream().to('counts', { value: json() });
    late = w.late();
    late.to('late', { value: json() });
  });
  const driver = new TopologyTestDriver(a);
  pipe(driver, events);
  const ref = timeWindowReference(events, { size: 10_000, grace: 1_000, ooo: 2_000 }, (acc) => (acc ?? 0) + 1);
  const watermark = Math.max(...events.map((e) => e.ts)) - 2_000;
  const out = () => driver.output('counts', wserdes).readRecords();
  // Before the end of input, exactly the windows with end + grace <= watermark were emitted.
  const early = out();
  const expectedEarly = [...ref.results].filter(([k]) => Number(k.split('@')[1]) + 11_000 <= watermark);
  assert.deepEqual(new Map(early.map((r) => [wkey(r.key!), r.value])), new Map(expectedEarly));
  driver.drain();
  const all = [...early, ...out()];
  assert.deepEqual(new Map(all.map((r) => [wkey(r.key!), r.value])), ref.results);
  assert.equal(all.length, ref.results.size, 'one result per window');
  // Result timestamps are the windows' last instant.
  for (const r of all) assert.equal(r.timestamp, r.key!.end - 1);
  assert.deepEqual(driver.output('late', { value: json<Ev>() }).readValues(), ref.late);
  assert.equal(driver.metrics().lateRecords, ref.late.length);
  assert.ok(ref.late.length >= 2);
  assert.equal(driver.deadLetters().length, 0);
});

test('emit update: every change of every window, in arrival order', () => {
  const a = app((s) => s.groupByKey().window(tumbling('10s'), { grace: '1s', emit: 'update' }).sum((e) => e.n).toStream().to('sums', { value: json() }));
  const driver = new TopologyTestDriver(a);
  pipe(driver, events);
  const st = stamps(events, 2_000);
  const acc = new Map<string, number>();
  const expected: Array<[string, number]> = [];
  events.forEach((e, i) => {
    const start = Math.floor(e.ts / 10_000) * 10_000;
    if (start + 11_000 <= st[i]!) return;
    const k = windowKey(e.key, start);
    acc.set(k, (acc.get(k) ?? 0) + e.n);
    expected.push([k, acc.get(k)!]);
  });
  const got = driver.output('sums', wserdes).readRecords().map((r) => [wkey(r.key!), r.value]);
  assert.deepEqual(got, expected);
  driver.drain();
  assert.equal(driver.output('sums').readRecords().length, 0, 'update mode emits nothing more at close');
});

test('hopping windows: a record counts in every window still open; late only when all closed (dead-lettered without late())', () => {
  const a = app((s) => s.groupByKey().window(hopping('10s', '5s'), { grace: '500ms' }).sum((e) => e.n).toStream().to('hop', { value: json() }));
  const driver = new TopologyTestDriver(a);
  pipe(driver, events);
  driver.drain();
  const ref = timeWindowReference(events, { size: 10_000, advance: 5_000, grace: 500, ooo: 2_000 }, (acc, e) => (acc ?? 0) + e.n);
  const got = driver.output('hop', wserdes).readRecords();
  assert.deepEqual(new Map(got.map((r) => [wkey(r.key!), r.value])), ref.results);
  // The hopping reference really has partially-late records (some window skipped, one kept).
  const st = stamps(events, 2_000);
  assert.ok(events.some((e, i) => windowStarts(e.ts, 10_000, 5_000).filter((s) => s + 10_500 > st[i]!).length === 1));
  const dead = driver.deadLetters();
  assert.equal(dead.length, ref.late.length);
  assert.match(dead[0]!.headers.find((h) => h.key === 'tributary.error.message')!.value!.toString(), /late/);
});

test('session windows: merging, gap, grace; final and update modes agree on the final sessions', () => {
  const sessionEvents: Ev[] = [
    { key: 'a', ts: 1_000, n: 1 },
    { key: 'a', ts: 6_500, n: 2 }, // new session (gap 5s)
    { key: 'a', ts: 3_600, n: 3 }, // bridges the two: one session [1s, 11.5s)
    { key: 'b', ts: 5_000, n: 4 },
    { key: 'a', ts: 20_000, n: 5 },
    { key: 'b', ts: 6_900, n: 6 }, // late: 6.9s + 1s grace < watermark 18s
    { key: 'a', ts: 12_000, n: 7 }, // late
    { key: 'a', ts: 27_000, n: 9 },
    { key: 'a', ts: 24_999, n: 10 }, // joins [20s, 25s) and [27s, 32s)
    { key: 'b', ts: 30_000, n: 8 },
    { key: 'b', ts: 27_500, n: 11 }, // on time (watermark 28s - 1s grace), joins b's [30s, 35s)
    { key: 'b', ts: 2_100, n: 12 }, // late
  ];
  const a = app((s) => {
    const w = s.groupByKey().window(session('5s'), { grace: '1s' });
    w.count().toStream().to('final', { value: json() });
    const u = s.groupByKey({ name: 'again' }).window(session('5s'), { grace: '1s', emit: 'update' });
    u.aggregate(() => 0, (acc, e) => acc + e.n, (x, y) => x + y).to('updates', { value: json() });
  });
  const driver = new TopologyTestDriver(a);
  pipe(driver, sessionEvents);
  driver.drain();
  const ref = sessionReference(sessionEvents, { gap: 5_000, grace: 1_000, ooo: 2_000 });
  const finals = driver.output('final', wserdes).readRecords();
  assert.deepEqual(
    new Map(finals.map((r) => [wkey(r.key!), [r.key!.end, r.value]])),
    new Map([...ref.sessions].map(([k, s]) => [k, [s.end, s.count]])),
  );
  assert.equal(finals.length, ref.sessions.size);
  // Update mode: the latest emission per session window; merged-away sessions end with a null.
  const last = new Map<string, number | null>();
  for (const r of driver.output('updates', wserdes).readRecords()) {
    last.set(`${wkey(r.key!)}-${r.key!.end}`, r.value);
  }
  const live = new Map([...last].filter(([, v]) => v !== null));
  assert.deepEqual(live, new Map([...ref.sessions].map(([k, s]) => [`${k}-${s.end}`, s.sum])));
  assert.ok([...last.values()].includes(null), 'merges emitted deletes');
  assert.equal(driver.metrics().lateRecords, ref.late.length * 2);
  assert.equal(ref.late.length, 3);
});

test('min, max, avg, reduce and aggregate over tumbling windows', () => {
  const a = app((s) => {
    const w = s.groupByKey().window(tumbling('10s'), { grace: '1s' });
    w.min((e) => e.n).toStream().to('min', { value: json() });
    w.max((e) => e.n).toStream().to('max', { value: json() });
    w.avg((e) => e.n).toStream().to('avg', { value: json() });
    w.reduce((x, y) => ({ ...y, n: x.n * 10 + y.n })).toStream().to('reduce', { value: json() });
    w.aggregate(() => [] as number[], (acc, e) => [...acc, e.n]).toStream().to('list', { value: json() });
  });
  const driver = new TopologyTestDriver(a);
  pipe(driver, events);
  driver.drain();
  const opts = { size: 10_000, grace: 1_000, ooo: 2_000 };
  const lists = new Map<string, number[]>();
  const st = stamps(events, 2_000);
  events.forEach((e, i) => {
    const s = Math.floor(e.ts / 10_000) * 10_000;
    if (s + 11_000 <= st[i]!) return;
    lists.set(windowKey(e.key, s), [...(lists.get(windowKey(e.key, s)) ?? []), e.n]);
  });
  const read = (t: string) => new Map(driver.output(t, { key: windowed(string()), value: json<unknown>() }).readRecords().map((r) => [wkey(r.key!), r.value]));
  const m = (f: (l: number[]) => unknown) => new Map([...lists].map(([k, l]) => [k, f(l)]));
  assert.deepEqual(read('min'), m((l) => Math.min(...l)));
  assert.deepEqual(read('max'), m((l) => Math.max(...l)));
  assert.deepEqual(read('avg'), m((l) => l.reduce((x, y) => x + y, 0) / l.length));
  assert.deepEqual(new Map([...read('reduce')].map(([k, v]) => [k, (v as Ev).n])), m((l) => l.reduce((x, y) => x * 10 + y)));
  assert.deepEqual(read('list'), m((l) => l));
  assert.equal(timeWindowReference(events, opts, (x) => (x ?? 0) + 1).results.size, lists.size);
});

test('the example of docs/semantics.md, step by step', () => {
  const a = new StreamsApp({ applicationId: 'doc' });
  const w = a
    .stream('events', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts, maxOutOfOrderness: '2s' })
    .groupByKey()
    .window(tumbling('10s'), { grace: '1s' });
  const counts = w.count().toStream().to('counts', { value: json() });
  const late = w.late().to('late', { value: json() });
  const driver = new TopologyTestDriver(a);
  const step = (key: string, ts: number) => {
    pipe(driver, [{ key, ts, n: 0 }]);
    return driver.output(counts).readRecords().map((r) => `${wkey(r.key!)}=${r.value}`);
  };
  assert.deepEqual(step('a', 1_000), []);
  assert.deepEqual(step('a', 9_500), []);
  assert.deepEqual(step('b', 12_000), []);
  assert.deepEqual(step('a', 3_000), []);
  assert.deepEqual(step('b', 25_000), ['a@0=3', 'b@10000=1']);
  assert.deepEqual(step('a', 8_000), []);
  assert.deepEqual(driver.output(late).readValues().map((e) => e!.ts), [8_000]);
});
