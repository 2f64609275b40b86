import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, json, string, tumbling, session, type ProcessorContext, type ProcessorRecord } from '../../src/index.js';

interface Ev {
  user: string;
  page: string;
  ts: number;
}

function build() {
  const app = new StreamsApp({ applicationId: 'restore', maxOutOfOrderness: '3s' });
  const s = app.stream('ev', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts });
  const byPage = s.keyBy((e) => e.page, { key: string(), name: 'page' });
  byPage.window(tumbling('10s'), { grace: '1s' }).count().toStream().to('page-windows', { value: json() });
  byPage.count().toStream().to('page-totals', { value: json() });
  s.groupByKey().window(session('5s')).count().toStream().to('sessions', { value: json() });
  s.process<string, string>(
    () => ({
      process(r: ProcessorRecord<string, Ev>, ctx: ProcessorContext<string, string, string>) {
        const n = ctx.state.value<number>('n', { ttl: '20s' });
        if (n.get() === undefined) ctx.timers.registerEventTime(r.timestamp + 7_000);
        n.set((n.get() ?? 0) + 1);
      },
      onTimer(t, ctx) {
        ctx.forward(ctx.key, `${t.time}:${ctx.state.value<number>('n', { ttl: '20s' }).get()}`);
      },
    }),
    { name: 'timed' },
  ).to('timed', { value: string() });
  const users = app.table('users', { key: string(), value: string() });
  s.leftJoin(users, (e, name) => `${e.page}:${name ?? '?'}`).to('joined', { value: string() });
  return app;
}

const OUTPUTS = ['page-windows', 'page-totals', 'sessions', 'timed', 'joined', 'restore-dlq'];

function outputs(driver: TopologyTestDriver): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const t of OUTPUTS) {
    out[t] = driver
      .output(t)
      .readRecords()
      .map((r) => `${r.partition}|${r.key === null ? '' : JSON.stringify(r.key)}|${JSON.stringify(r.value)}|${r.timestamp}`);
  }
  return out;
}

const arbRun = fc.record({
  events: fc.array(
    fc.record({
      user: fc.constantFrom('u0', 'u1', 'u2', 'u3'),
      page: fc.constantFrom('/', '/a', '/b'),
      ts: fc.integer({ min: 0, max: 60_000 }),
    }),
    { minLength: 1, maxLength: 50 },
  ),
  names: fc.array(fc.tuple(fc.constantFrom('u0', 'u1', 'u2', 'u3'), fc.constantFrom('Ann', 'Bob')), { maxLength: 6 }),
  cut: fc.nat(),
});

test('a task restored from its changelogs (and its tables’ topics) continues with exactly the same results', () => {
  fc.assert(
    fc.property(arbRun, ({ events, names, cut }) => {
      const at = cut % (events.length + 1);
      const partitions = { ev: 2, users: 2, 'page-windows': 1 };
      const feed = (driver: TopologyTestDriver, evs: Ev[], withNames: boolean) => {
        if (withNames) {
          driver.input('users', { key: string(), value: string() }).pipeAll(names.map(([k, v]) => ({ key: k, value: v })));
        }
        driver.input('ev', { key: string(), value: json<Ev>() }).pipeAll(evs.map((e) => ({ key: e.user, value: e })));
      };
      // One driver over the whole input.
      const whole = new TopologyTestDriver(build(), { partitions });
      feed(whole, events.slice(0, at), true);
      feed(whole, events.slice(at), false);
      whole.drain();
      // The same input, with a crash at `at`: a new driver restored from the first one's changelogs.
      const first = new TopologyTestDriver(build(), { partitions });
      feed(first, events.slice(0, at), true);
      const before = outputs(first);
      const second = new TopologyTestDriver(build(), { partitions, restoreFrom: first.snapshot() });
      feed(second, events.slice(at), false);
      second.drain();
      const after = outputs(second);
      const expected = outputs(whole);
      for (const t of OUTPUTS) assert.deepEqual([...before[t]!, ...after[t]!], expected[t], t);
    }),
    { numRuns: 60 },
  );
});
