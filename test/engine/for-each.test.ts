import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ProcessingError, StreamsApp, TopologyTestDriver, embedded, json, string } from '../../src/index.js';
import { openLog, produce, readTopic, tempDir } from './runtime/helpers.js';

interface Click {
  user: string;
  page: string;
  ts: number;
}

const clicks: Click[] = [
  { user: 'u1', page: '/a', ts: 1000 },
  { user: 'u2', page: '/b', ts: 1500 },
  { user: 'u1', page: '/b', ts: 1200 },
  { user: 'u3', page: '/a', ts: 3000 },
  { user: 'u2', page: '/c', ts: 2500 },
];

function pipe(driver: TopologyTestDriver, rows: readonly Click[] = clicks): void {
  driver.input<string, Click>('clicks', { key: string(), value: json<Click>() }).pipeAll(rows.map((c) => ({ key: c.user, value: c, timestamp: c.ts })));
}

test('forEach: called once per record with key, value and record context, after a fused filter/mapValues run; nothing is written', () => {
  const app = new StreamsApp({ applicationId: 'for-each' });
  const seen: Array<[string, string, number]> = [];
  app
    .stream('clicks', { key: string(), value: json<Click>(), timestamp: (c) => c.ts })
    .filter((c) => c.page !== '/c')
    .mapValues((c) => c.page.toUpperCase())
    .forEach((page, user, record) => seen.push([user, page, record.timestamp]), { name: 'collect' });
  assert.match(app.describe(), /collect/);
  const driver = new TopologyTestDriver(app);
  pipe(driver);
  const expected = clicks.filter((c) => c.page !== '/c').map((c): [string, string, number] => [c.user, c.page.toUpperCase(), c.ts]);
  assert.deepEqual(seen, expected);
  assert.equal(driver.metrics().deadLettered, 0);
});

test('forEach after merge (not fused into a run) sees the same records as a peek before a sink', () => {
  const app = new StreamsApp({ applicationId: 'for-each-merge' });
  const viaForEach: string[] = [];
  const viaPeek: string[] = [];
  const src = app.stream('clicks', { key: string(), value: json<Click>() });
  const a = src.filter((c) => c.user === 'u1').mapValues((c) => `a${c.page}`);
  const b = src.filter((c) => c.user !== 'u1').mapValues((c) => `b${c.page}`);
  const merged = a.merge(b);
  merged.forEach((v, k) => viaForEach.push(`${k}:${v}`));
  merged.peek((v, k) => viaPeek.push(`${k}:${v}`)).to('out', { value: string() });
  const driver = new TopologyTestDriver(app);
  pipe(driver);
  assert.equal(viaForEach.length, clicks.length);
  assert.deepEqual(viaForEach, viaPeek);
  assert.deepEqual(new Set(viaForEach), new Set(clicks.map((c) => `${c.user}:${c.user === 'u1' ? 'a' : 'b'}${c.page}`)));
});

test('a throwing forEach function dead-letters the record (with its operator name) and processing continues', () => {
  const app = new StreamsApp({ applicationId: 'for-each-throws', deadLetter: 'my-dlq' });
  const seen: string[] = [];
  app.stream('clicks', { key: string(), value: json<Click>() }).forEach(
    (c) => {
      if (c.user === 'u2') throw new TypeError('no u2');
      seen.push(c.page);
    },
    { name: 'side-effect' },
  );
  const driver = new TopologyTestDriver(app);
  pipe(driver);
  assert.deepEqual(seen, clicks.filter((c) => c.user !== 'u2').map((c) => c.page));
  const dead = driver.output('my-dlq', { value: json<Click>() }).readRecords();
  assert.deepEqual(dead.map((r) => r.value), clicks.filter((c) => c.user === 'u2'));
  assert.equal(dead[0]!.headers.find((h) => h.key === 'tributary.error.operator')?.value?.toString(), 'side-effect');
});

test("a throwing forEach under deadLetter: 'fail' stops with a ProcessingError", () => {
  const app = new StreamsApp({ applicationId: 'for-each-fail', deadLetter: 'fail' });
  app.stream('clicks', { key: string(), value: json<Click>() }).forEach(() => {
    throw new Error('boom');
  });
  const driver = new TopologyTestDriver(app);
  assert.throws(() => pipe(driver), (e: unknown) => e instanceof ProcessingError && e.topic === 'clicks' && e.offset === 0);
});

test('forEach in a real app on the embedded log: every record seen once in a clean run, no output topic, offsets committed', async () => {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    await log.createTopic('clicks', { partitions: 3 });
    const records = Array.from({ length: 3_000 }, (_, i) => ({ key: `u${i % 17}`, value: JSON.stringify({ user: `u${i % 17}`, page: `/p${i}`, ts: 1000 + i }), timestamp: 1000 + i }));
    await produce(log, 'clicks', records, 97);
    const seen = new Map<string, number>();
    const build = (): StreamsApp => {
      const app = new StreamsApp({ applicationId: 'for-each-log' });
      app
        .stream('clicks', { key: string(), value: json<Click>() })
        .filter((c) => c.ts % 5 !== 0)
        .mapValues((c) => c.page)
        .forEach((page, user) => seen.set(`${user}${page}`, (seen.get(`${user}${page}`) ?? 0) + 1));
      return app;
    };
    const options = { log: embedded({ manager: log }), stateDir: join(dir, 'state') };

    const summary = await build().run({ until: 'end', ...options });
    const expected = records.filter((r) => r.timestamp % 5 !== 0).map((r) => `${r.key}/p${r.timestamp - 1000}`);
    assert.equal(seen.size, expected.length);
    for (const k of expected) assert.equal(seen.get(k), 1, k);
    assert.equal(summary.recordsIn['clicks'], records.length);
    assert.deepEqual(summary.recordsOut, {}, 'nothing written');
    assert.equal(summary.deadLettered, 0);
    // only the input and the app's own bookkeeping topics (watermarks, dead letters): no output topic
    assert.deepEqual(log.listTopics().filter((t) => !t.startsWith('__') && !t.startsWith('for-each-log-')), ['clicks']);
    assert.equal(readTopic(log, 'for-each-log-dlq').length, 0);
    assert.equal(readTopic(log, 'clicks').length, records.length);

    // The input offsets were committed: a second bounded run reads nothing and calls forEach for nothing.
    const again = await build().run({ until: 'end', ...options });
    assert.equal(again.recordsIn['clicks'] ?? 0, 0);
    for (const k of expected) assert.equal(seen.get(k), 1, k);
  } finally {
    await log.close();
    cleanup();
  }
});
