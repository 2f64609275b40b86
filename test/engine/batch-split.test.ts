import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { partitionForKey } from '../../src/records/partitioner.js';
import { StreamsApp, TopologyTestDriver, json, string, session, tumbling, windowed } from '../../src/index.js';
import { sessionReference, timeWindowReference, windowKey, type Ev } from './reference.js';

interface In {
  user: string;
  group: string;
  ts: number;
  n: number;
}

function build() {
  const app = new StreamsApp({ applicationId: 'bs', maxOutOfOrderness: '5s' });
  const s = app.stream('ev', { key: string(), value: json<In>(), timestamp: (e) => e.ts });
  s.keyBy((e) => e.group, { key: string(), name: 'g' })
    .window(tumbling('20s'), { grace: '3s' })
    .sum((e) => e.n)
    .toStream()
    .to('sums', { value: json() });
  s.groupByKey().window(session('10s'), { grace: '2s' }).count().toStream().to('sessions', { value: json() });
  return app;
}

const arbInput = fc.record({
  events: fc.array(
    fc.record({
      user: fc.constantFrom('u0', 'u1', 'u2', 'u3', 'u4', 'u5'),
      group: fc.constantFrom('g0', 'g1', 'g2', 'g3'),
      ts: fc.integer({ min: 0, max: 200_000 }),
      n: fc.integer({ min: 0, max: 100 }),
    }),
    { minLength: 1, maxLength: 80 },
  ),
  sourcePartitions: fc.integer({ min: 1, max: 4 }),
  repartitionPartitions: fc.integer({ min: 1, max: 4 }),
  cuts: fc.array(fc.integer({ min: 0, max: 80 }), { maxLength: 10 }),
  maxBatchSize: fc.constantFrom(1, 2, 7, Infinity),
});

test('same input, any batch split, any partition counts: the final results of the reference evaluation', () => {
  fc.assert(
    fc.property(arbInput, ({ events, sourcePartitions, repartitionPartitions, cuts, maxBatchSize }) => {
      const driver = new TopologyTestDriver(build(), {
        partitions: { ev: sourcePartitions, 'bs-g-repartition': repartitionPartitions },
        maxBatchSize,
      });
      const input = driver.input('ev', { key: string(), value: json<In>() });
      const bounds = [...new Set([0, ...cuts.filter((c) => c < events.length), events.length])].sort((a, b) => a - b);
      for (let i = 1; i < bounds.length; i++) {
        input.pipeAll(events.slice(bounds[i - 1], bounds[i]).map((e) => ({ key: e.user, value: e })));
      }
      driver.drain();

      const partitionOf = (user: string) => partitionForKey(Buffer.from(user), sourcePartitions);
      const byGroup: Ev[] = events.map((e) => ({ key: e.group, ts: e.ts, n: e.n, partition: partitionOf(e.user) }));
      const byUser: Ev[] = events.map((e) => ({ key: e.user, ts: e.ts, n: e.n, partition: partitionOf(e.user) }));
      const ref = timeWindowReference(byGroup, { size: 20_000, grace: 3_000, ooo: 5_000 }, (acc, e) => (acc ?? 0) + e.n);
      const sessions = sessionReference(byUser, { gap: 10_000, grace: 2_000, ooo: 5_000 });

      const sums = driver.output('sums', { key: windowed(string()), value: json<number>() }).readRecords();
      assert.equal(sums.length, ref.results.size, 'one final result per window');
      assert.deepEqual(new Map(sums.map((r) => [windowKey(r.key!.key, r.key!.start), r.value])), ref.results);
      const sess = driver.output('sessions', { key: windowed(string()), value: json<number>() }).readRecords();
      assert.deepEqual(
        new Map(sess.map((r) => [windowKey(r.key!.key, r.key!.start), [r.key!.end, r.value]])),
        new Map([...sessions.sessions].map(([k, s]) => [k, [s.end, s.count]])),
      );
      assert.equal(driver.metrics().lateRecords, ref.late.length + sessions.late.length);
    }),
    { numRuns: 150 },
  );
});
