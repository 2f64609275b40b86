// Stream-stream join timers across restores behind a bounded cache: each side's time index is
// kept in step while its store is restored (time-index-restore.ts, expiryIndexDeriver), as the
// window operator's is, instead of being rebuilt at open from every buffered record. After a tail
// restore (a copy of the stores + the changelog records after it) and after a full restore: the
// index is marked valid before the operator opens, only the restored records were looked at, the
// index equals the one of the run that never stopped, and the outputs after the restore equal it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, json, string } from '../../src/index.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import { DERIVED_ENTRIES_VALID, type LoggedKeyValueStore } from '../../src/state/logged-store.js';
import { timeIndexOf, changelogLengths, changelogTail, copyStores, keptBoundedStores } from '../support/restore-snapshots.js';

interface Side {
  side: 'L' | 'R';
  key: string;
  ts: number;
  n: number;
}

const BOUND = 1_000;
const STORES = ['pairs-left', 'pairs-right'] as const;

function build(): StreamsApp {
  const app = new StreamsApp({ applicationId: 'join-index-restore', maxOutOfOrderness: 2_000 });
  const l = app.stream('left', { key: string(), value: json<Side>(), timestamp: (v) => v.ts });
  const r = app.stream('right', { key: string(), value: json<Side>(), timestamp: (v) => v.ts });
  l.outerJoin(r, (a, b) => `${a ? a.n : '-'}/${b ? b.n : '-'}`, { within: 3_000, grace: 500, name: 'pairs' }).to('out', { value: string() });
  return app;
}

/** Bounded in-memory stores (timers in the store's index), kept by name so that a test can copy them. */
const boundedStores = (kept: Map<string, InMemoryKeyValueStore>, from?: ReadonlyMap<string, InMemoryKeyValueStore>) => keptBoundedStores(BOUND, kept, from);

function pipe(driver: TopologyTestDriver, events: readonly Side[]): void {
  const li = driver.input('left', { key: string(), value: json<Side>() });
  const ri = driver.input('right', { key: string(), value: json<Side>() });
  for (const e of events) (e.side === 'L' ? li : ri).pipe({ key: e.key, value: e });
}

const outputs = (d: TopologyTestDriver) => d.output('out', { key: string(), value: string() }).readRecords().map((r) => `${r.key}:${r.value}@${r.timestamp}`);

const logged = (d: TopologyTestDriver, name: string) => d.stateStores(name)[0]! as LoggedKeyValueStore;
const arbEvents = fc.array(
  fc.record({
    side: fc.constantFrom<'L' | 'R'>('L', 'R'),
    key: fc.constantFrom('a', 'b', 'c', 'dd', 'eee', 'f'),
    ts: fc.oneof(fc.integer({ min: 0, max: 40_000 }), fc.integer({ min: 0, max: 40 }).map((s) => s * 1_000)),
    n: fc.integer({ min: 0, max: 999 }),
  }),
  { minLength: 1, maxLength: 80 },
);

test('bounded join stores: after a tail restore and a full one the index is derived from the restored records, equals the straight run\'s, and expiry after it equals that run', () => {
  fc.assert(
    fc.property(arbEvents, fc.tuple(fc.nat(), fc.nat()), (events, cuts) => {
      const [c1, c2] = [cuts[0] % (events.length + 1), cuts[1] % (events.length + 1)].sort((x, y) => x - y) as [number, number];
      const kept = new Map<string, InMemoryKeyValueStore>();
      const straight = new TopologyTestDriver(build(), { stateStore: boundedStores(kept) });
      pipe(straight, events.slice(0, c1));
      const checkpoint = copyStores(kept);
      const at = changelogLengths(straight.snapshot());
      pipe(straight, events.slice(c1, c2));
      const snap = straight.snapshot();
      const before = outputs(straight);

      const tailed = new TopologyTestDriver(build(), { stateStore: boundedStores(new Map(), checkpoint), restoreFrom: changelogTail(snap, at) });
      const full = new TopologyTestDriver(build(), { stateStore: boundedStores(new Map()), restoreFrom: snap });
      for (const name of STORES) {
        const topic = `join-index-restore-${name}-changelog`;
        const all = snap.topics.get(topic)?.[0]?.length ?? 0;
        for (const [d, n] of [[tailed, all - (at.get(topic) ?? 0)], [full, all]] as const) {
          const s = logged(d, name);
          if (n > 0) assert.ok(s.get(DERIVED_ENTRIES_VALID), `${name}: the index is valid after the restore`);
          assert.equal(s.derivedRecords, n, `${name}: the restored records were looked at, once each`);
        }
      }
      straight.allTasks[0]!.process([]);
      for (const d of [tailed, full]) {
        d.allTasks[0]!.process([]); // opens the operators
        outputs(d); // what the snapshot carried over
        for (const name of STORES) assert.deepEqual(timeIndexOf(logged(d, name)), timeIndexOf(logged(straight, name)), `${name}: the index of the run that never stopped`);
      }
      pipe(straight, events.slice(c2));
      straight.drain();
      const after = outputs(straight);
      for (const d of [tailed, full]) {
        pipe(d, events.slice(c2));
        d.drain();
        assert.deepEqual(outputs(d), after, 'outputs after the restore equal the straight run\'s');
      }
      assert.ok(before.length + after.length >= 0);
      for (const d of [straight, tailed, full]) d.close();
    }),
    { numRuns: 80 },
  );
});
