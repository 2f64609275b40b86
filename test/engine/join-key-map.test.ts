// With an unbounded cache (in-memory stores) the stream-stream join keeps both sides' buffered
// records of a key in one map entry: the key's group on one side, linked to its group on the
// other (stream-stream-join.ts, `keys`). Groups come and go on either side in any order; these
// tests check that the map never loses or keeps a group wrongly: after every commit each side's
// groups are exactly the keys its store holds records of (the store is what the changelog
// restores), everything is gone after a drain, and a run restored from the changelogs at any
// point gives the naive join's results, in the order of the run straight through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, json, string } from '../../src/index.js';
import { StreamStreamJoinOperator } from '../../src/engine/operators/stream-stream-join.js';
import { isTimeIndexKey } from '../../src/state/window-store.js';
import { joinReference, type JoinSide } from './reference.js';

type Side = JoinSide;

type Kind = 'inner' | 'left' | 'outer';
const WITHIN = 2_000;
const GRACE = 500;
const OOO = 1_000;

function build(kind: Kind): StreamsApp {
  const app = new StreamsApp({ applicationId: `join-key-map-${kind}`, maxOutOfOrderness: OOO });
  const l = app.stream('left', { key: string(), value: json<Side>(), timestamp: (v) => v.ts });
  const r = app.stream('right', { key: string(), value: json<Side>(), timestamp: (v) => v.ts });
  const j = (a: Side | undefined, b: Side | undefined) => `${a ? a.n : '-'}/${b ? b.n : '-'}`;
  const opts = { within: WITHIN, grace: GRACE, name: 'pairs' };
  const joined = kind === 'inner' ? l.join(r, j, opts) : kind === 'left' ? l.leftJoin(r, j, opts) : l.outerJoin(r, j, opts);
  joined.to('out', { value: string() });
  return app;
}

function naiveJoin(events: readonly Side[], kind: Kind): string[] {
  return joinReference(events, kind, { within: WITHIN, grace: GRACE, maxOutOfOrderness: OOO }).out;
}

function outputs(driver: TopologyTestDriver): string[] {
  return driver
    .output('out', { key: string(), value: string() })
    .readRecords()
    .map((r) => `${r.key}:${r.value}@${r.timestamp}`);
}

function joinOp(driver: TopologyTestDriver): StreamStreamJoinOperator {
  driver.allTasks[0]!.process([]); // opens a restored task's operators
  const op = driver.allTasks[0]!.operators.find((o): o is StreamStreamJoinOperator => o instanceof StreamStreamJoinOperator);
  assert.ok(op);
  return op;
}

/** Distinct keys with buffered records in a side's store (store keys are [u32 length][key][time][seq]). */
function storedKeys(driver: TopologyTestDriver, side: 'left' | 'right'): number {
  const keys = new Set<string>();
  for (const e of driver.stateStores(`pairs-${side}`)[0]!.all()) {
    if (isTimeIndexKey(e.key)) continue;
    keys.add(e.key.subarray(4, 4 + e.key.readUInt32BE(0)).toString('latin1'));
  }
  return keys.size;
}

/** Pipes one event at a time (the driver commits after each) and checks the groups against the stores after each. */
function pipeChecked(driver: TopologyTestDriver, events: readonly Side[]): void {
  const li = driver.input('left', { key: string(), value: json<Side>() });
  const ri = driver.input('right', { key: string(), value: json<Side>() });
  const op = joinOp(driver);
  for (const e of events) {
    (e.side === 'L' ? li : ri).pipe({ key: e.key, value: e });
    assert.equal(op.caches[0]!.size, storedKeys(driver, 'left'), 'left groups = keys in the left store');
    assert.equal(op.caches[1]!.size, storedKeys(driver, 'right'), 'right groups = keys in the right store');
  }
}

const arbEvents = fc.array(
  fc.record({
    side: fc.constantFrom<'L' | 'R'>('L', 'R'),
    key: fc.constantFrom('a', 'b', 'c', 'dd', 'eee'),
    // Often the same second: several records of a key at one event time, expiring together.
    ts: fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 0, max: 20 }).map((s) => s * 1_000)),
    n: fc.integer({ min: 0, max: 999 }),
  }),
  { maxLength: 60 },
);

for (const kind of ['inner', 'left', 'outer'] as const) {
  test(`${kind} join, one map for both sides: groups match the stores after every commit; restored at any point, the naive join's results in the straight run's order`, () => {
    fc.assert(
      fc.property(arbEvents, fc.nat(), (events, cut) => {
        const straight = new TopologyTestDriver(build(kind));
        pipeChecked(straight, events);
        straight.drain();
        const expected = outputs(straight);
        const op = joinOp(straight);
        assert.deepEqual([op.caches[0]!.size, op.caches[1]!.size], [0, 0], 'no group left after the drain');
        assert.deepEqual([storedKeys(straight, 'left'), storedKeys(straight, 'right')], [0, 0], 'no record left in the stores');
        assert.equal(op.timersInMemory, 0);
        straight.close();
        assert.deepEqual([...expected].sort(), naiveJoin(events, kind));

        const at = cut % (events.length + 1);
        const first = new TopologyTestDriver(build(kind));
        pipeChecked(first, events.slice(0, at));
        const before = outputs(first);
        first.close();
        const second = new TopologyTestDriver(build(kind), { restoreFrom: first.snapshot() });
        outputs(second); // the first driver's outputs, if the snapshot carried them over
        pipeChecked(second, events.slice(at));
        second.drain();
        assert.deepEqual([...before, ...outputs(second)], expected);
        second.close();
      }),
      { numRuns: 80 },
    );
  });
}

test('a key whose records alternate sides, with gaps that empty one side or both: every pair and unmatched record once', () => {
  // Left and right records of one key, spaced so that a side's group empties (expires) while the
  // other side's lives on, is recreated, and then both empty: each way the map can change.
  const events: Side[] = [];
  let n = 0;
  for (let t = 0; t < 60_000; t += 1_700) {
    events.push({ side: 'L', key: 'k', ts: t, n: n++ });
    if (t % 3_400 === 0) events.push({ side: 'R', key: 'k', ts: t + 1_900, n: n++ });
    if (t % 5_100 === 0) events.push({ side: 'L', key: 'j', ts: t + 100, n: n++ });
  }
  for (const kind of ['inner', 'left', 'outer'] as const) {
    const driver = new TopologyTestDriver(build(kind));
    pipeChecked(driver, events);
    driver.drain();
    assert.deepEqual(outputs(driver).sort(), naiveJoin(events, kind), kind);
    const op = joinOp(driver);
    assert.deepEqual([op.caches[0]!.size, op.caches[1]!.size], [0, 0]);
    driver.close();
  }
});
