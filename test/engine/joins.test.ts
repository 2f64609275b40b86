import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, json, string } from '../../src/index.js';
import { joinReference, type JoinSide } from './reference.js';

type Side = JoinSide;

const WITHIN = 5_000;
const GRACE = 1_000;

function build(kind: 'inner' | 'left' | 'outer') {
  const app = new StreamsApp({ applicationId: `ssj-${kind}`, maxOutOfOrderness: '2s' });
  const l = app.stream('left', { key: string(), value: json<Side>(), timestamp: (v) => v.ts });
  const r = app.stream('right', { key: string(), value: json<Side>(), timestamp: (v) => v.ts });
  const opts = { within: WITHIN, grace: GRACE };
  const j = (a: Side | undefined, b: Side | undefined) => `${a ? a.n : '-'}/${b ? b.n : '-'}`;
  const joined =
    kind === 'inner' ? l.join(r, (a, b) => j(a, b), opts) : kind === 'left' ? l.leftJoin(r, (a, b) => j(a, b), opts) : l.outerJoin(r, j, opts);
  joined.to('out', { value: string() });
  return app;
}

function reference(events: Side[], kind: 'inner' | 'left' | 'outer'): { out: string[]; late: number } {
  return joinReference(events, kind, { within: WITHIN, grace: GRACE, maxOutOfOrderness: 2_000 });
}

const arbEvents = fc.array(
  fc.record({
    side: fc.constantFrom<'L' | 'R'>('L', 'R'),
    key: fc.constantFrom('a', 'b', 'c'),
    ts: fc.integer({ min: 0, max: 40_000 }),
    n: fc.integer({ min: 0, max: 999 }),
  }),
  { maxLength: 40 },
);

for (const kind of ['inner', 'left', 'outer'] as const) {
  test(`windowed stream-stream ${kind} join: every on-time pair within the bound; unmatched emitted when the window closes`, () => {
    fc.assert(
      fc.property(arbEvents, (events) => {
        const driver = new TopologyTestDriver(build(kind));
        const li = driver.input('left', { key: string(), value: json<Side>() });
        const ri = driver.input('right', { key: string(), value: json<Side>() });
        for (const e of events) (e.side === 'L' ? li : ri).pipe({ key: e.key, value: e });
        driver.drain();
        const got = driver
          .output('out', { key: string(), value: string() })
          .readRecords()
          .map((r) => `${r.key}:${r.value}@${r.timestamp}`)
          .sort();
        const ref = reference(events, kind);
        assert.deepEqual(got, ref.out);
        assert.equal(driver.metrics().lateRecords, ref.late);
        assert.equal(driver.deadLetters().length, ref.late);
      }),
      { numRuns: 120 },
    );
  });
}

test('left join: an unmatched left record is emitted only once its window has closed', () => {
  const driver = new TopologyTestDriver(build('left'));
  const li = driver.input('left', { key: string(), value: json<Side>() });
  const ri = driver.input('right', { key: string(), value: json<Side>() });
  li.pipe({ key: 'a', value: { side: 'L', key: 'a', ts: 1_000, n: 1 } });
  ri.pipe({ key: 'b', value: { side: 'R', key: 'b', ts: 1_000, n: 2 } });
  const out = () => driver.output('out', { key: string(), value: string() }).readKeyValues();
  assert.deepEqual(out(), []);
  // Watermark = min(left, right) - 2s; the left record at 1s expires when it passes 1s + 5s + 1s.
  li.pipe({ key: 'c', value: { side: 'L', key: 'c', ts: 10_000, n: 3 } });
  ri.pipe({ key: 'c', value: { side: 'R', key: 'c', ts: 9_000, n: 4 } });
  assert.deepEqual(out(), [['c', '3/4']]);
  ri.pipe({ key: 'd', value: { side: 'R', key: 'd', ts: 9_001, n: 5 } });
  assert.deepEqual(out(), [['a', '1/-']]);
});

test('windowed outer join restored from its changelogs mid-stream: the same pairs and unmatched records, none twice', () => {
  fc.assert(
    fc.property(arbEvents, fc.nat(), (events, cut) => {
      const at = cut % (events.length + 1);
      const pipe = (d: TopologyTestDriver, evs: Side[]) => {
        const li = d.input('left', { key: string(), value: json<Side>() });
        const ri = d.input('right', { key: string(), value: json<Side>() });
        for (const e of evs) (e.side === 'L' ? li : ri).pipe({ key: e.key, value: e });
      };
      const read = (d: TopologyTestDriver) =>
        d
          .output('out', { key: string(), value: string() })
          .readRecords()
          .map((r) => `${r.key}:${r.value}@${r.timestamp}`);
      const first = new TopologyTestDriver(build('outer'));
      pipe(first, events.slice(0, at));
      const before = read(first);
      const second = new TopologyTestDriver(build('outer'), { restoreFrom: first.snapshot() });
      read(second); // the first driver's outputs, if the snapshot carried them over
      pipe(second, events.slice(at));
      second.drain();
      assert.deepEqual([...before, ...read(second)].sort(), reference(events, 'outer').out);
    }),
    { numRuns: 120 },
  );
});
