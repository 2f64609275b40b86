import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, TopologyTestDriver, json, string, tumbling, windowed } from '../../src/index.js';

interface Ev {
  id: number;
  ts: number;
}

/** Calls the test resolves by hand, in any order: no timers, no sleeps. */
function controlled() {
  const calls: Array<{ ev: Ev; resolve: (v: string) => void; reject: (e: Error) => void }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fn = (ev: Ev) =>
    new Promise<string>((resolve, reject) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const done = () => inFlight--;
      calls.push({ ev, resolve: (v) => (done(), resolve(v)), reject: (e) => (done(), reject(e)) });
    });
  return { calls, fn, max: () => maxInFlight };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

test('mapAsync: bounded concurrency, per-key order, watermark held until results are in, rejections dead-lettered', async () => {
  const c = controlled();
  const app = new StreamsApp({ applicationId: 'async' });
  const enriched = app
    .stream('ev', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts })
    .mapAsync((e) => c.fn(e), { concurrency: 3 });
  enriched.to('out', { value: string() });
  enriched.groupByKey().window(tumbling('10s')).count().toStream().to('counts', { value: json() });
  const driver = new TopologyTestDriver(app);
  const input = driver.input('ev', { key: string(), value: json<Ev>() });
  const evs = [
    { key: 'a', id: 1, ts: 1_000 },
    { key: 'b', id: 2, ts: 2_000 },
    { key: 'a', id: 3, ts: 3_000 },
    { key: 'c', id: 4, ts: 4_000 },
    { key: 'd', id: 5, ts: 5_000 },
    { key: 'b', id: 6, ts: 25_000 }, // moves the watermark past [0s, 10s)
  ];
  input.pipeAll(evs.map((e) => ({ key: e.key, value: { id: e.id, ts: e.ts } })));
  // a, b, c in flight; a's second call waits for its first, d waits for a free slot.
  assert.deepEqual(c.calls.map((x) => x.ev.id), [1, 2, 4]);
  assert.equal(driver.task(0, 0).pendingAsync, 6);
  assert.deepEqual(driver.output('counts').readRecords(), [], 'no window closes while results are pending');

  const settled = driver.settle();
  // Resolve out of order: c, then b, then a; reject d.
  const resolveId = async (id: number) => {
    for (;;) {
      const call = c.calls.find((x) => x.ev.id === id);
      if (call) {
        if (id === 5) call.reject(new Error('lookup failed'));
        else call.resolve(`r${id}`);
        await tick();
        return;
      }
      await tick();
    }
  };
  for (const id of [4, 2, 6, 1, 5, 3]) await resolveId(id);
  await settled;

  assert.ok(c.max() <= 3);
  const out = driver.output('out', { key: string(), value: string() }).readKeyValues();
  const order = (k: string) => out.filter((x) => x[0] === k).map((x) => x[1]);
  assert.deepEqual(order('a'), ['r1', 'r3']);
  assert.deepEqual(order('b'), ['r2', 'r6']);
  assert.equal(out.length, 5);
  // The window [0s, 10s) has all four on-time results (d was dead-lettered), none late.
  const counts = driver.output('counts', { key: windowed(string()), value: json<number>() }).readRecords();
  assert.deepEqual(counts.map((r) => `${r.key!.key}@${r.key!.start}=${r.value}`).sort(), ['a@0=2', 'b@0=1', 'c@0=1']);
  assert.equal(driver.metrics().lateRecords, 0);
  const dead = driver.deadLetters();
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.headers.find((h) => h.key === 'tributary.error.message')!.value!.toString(), 'lookup failed');
});
