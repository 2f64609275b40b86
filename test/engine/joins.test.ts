import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, json, string } from '../../src/index.js';
import { stamps, type Ev } from './reference.js';

interface Side {
  side: 'L' | 'R';
  key: string;
  ts: number;
  n: number;
}

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

/** Reference: on-time records (ts + grace >= their partition's watermark), all pairs within WITHIN. */
function reference(events: Side[], kind: 'inner' | 'left' | 'outer'): { out: string[]; late: number } {
  const evs: Ev[] = events.map((e) => ({ key: e.key, ts: e.ts, n: e.n, partition: e.side === 'L' ? 0 : 1 }));
  const st = stamps(evs, 2_000);
  const onTime = events.filter((e, i) => e.ts + GRACE >= st[i]!);
  const L = onTime.filter((e) => e.side === 'L');
  const R = onTime.filter((e) => e.side === 'R');
  const out: string[] = [];
  const matchedR = new Set<Side>();
  for (const a of L) {
    const partners = R.filter((b) => b.key === a.key && Math.abs(a.ts - b.ts) <= WITHIN);
    for (const b of partners) {
      out.push(`${a.key}:${a.n}/${b.n}@${Math.max(a.ts, b.ts)}`);
      matchedR.add(b);
    }
    if (partners.length === 0 && kind !== 'inner') out.push(`${a.key}:${a.n}/-@${a.ts}`);
  }
  if (kind === 'outer') for (const b of R) if (!matchedR.has(b)) out.push(`${b.key}:-/${b.n}@${b.ts}`);
  return { out: out.sort(), late: events.length - onTime.length };
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
