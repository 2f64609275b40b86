import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionForKey } from '../../src/records/partitioner.js';
import { StreamsApp, TopologyTestDriver, json, string, custom, ProcessingError } from '../../src/index.js';

interface Click {
  user: string;
  page: string;
  kind: 'view' | 'cart';
  ts: number;
}

const clicks: Click[] = [
  { user: 'u1', page: '/a', kind: 'view', ts: 1000 },
  { user: 'u2', page: '/b', kind: 'cart', ts: 1500 },
  { user: 'u1', page: '/b', kind: 'view', ts: 1200 },
  { user: 'u3', page: '/a', kind: 'view', ts: 3000 },
  { user: 'u2', page: '/c', kind: 'cart', ts: 2500 },
];

function pipeClicks(driver: TopologyTestDriver, app: StreamsApp, rows = clicks): void {
  void app;
  driver.input<string, Click>('clicks', { key: string(), value: json<Click>() }).pipeAll(rows.map((c) => ({ key: c.user, value: c, timestamp: c.ts })));
}

test('filter, mapValues, map, flatMapValues, peek: same records as the direct evaluation', () => {
  const app = new StreamsApp({ applicationId: 'stateless' });
  const seen: string[] = [];
  const src = app.stream('clicks', { key: string(), value: json<Click>(), timestamp: (c) => c.ts });
  const views = src
    .filter((c) => c.kind === 'view')
    .peek((c) => seen.push(c.page))
    .mapValues((c) => c.page)
    .to('views', { value: string() });
  const pairs = src.map((c, user) => [c.page, `${user}@${c.ts}`] as const).to('pairs', { key: string(), value: string() });
  const chars = src.flatMapValues((c) => c.page.split('')).to('chars', { value: string() });
  const driver = new TopologyTestDriver(app);
  pipeClicks(driver, app);

  const expectViews = clicks.filter((c) => c.kind === 'view').map((c) => [c.user, c.page]);
  assert.deepEqual(driver.output(views).readKeyValues(), expectViews);
  assert.deepEqual(seen, expectViews.map((v) => v[1]));
  assert.deepEqual(driver.output(pairs).readKeyValues(), clicks.map((c) => [c.page, `${c.user}@${c.ts}`]));
  assert.deepEqual(driver.output(chars).readValues(), clicks.flatMap((c) => c.page.split('')));
  // Event time comes from the extractor, not the record timestamp.
  assert.deepEqual(driver.output(views).readAll().map((r) => r.timestamp), clicks.filter((c) => c.kind === 'view').map((c) => c.ts));
});

test('branch: typed sub-streams; each record goes to the first matching branch or default', () => {
  const app = new StreamsApp({ applicationId: 'branching' });
  const src = app.stream('clicks', { key: string(), value: json<Click>() });
  const b = src.branch({
    views: (c): c is Click & { kind: 'view' } => c.kind === 'view',
    u2: (_c, k) => k === 'u2',
  });
  const v = b.views.mapValues((c) => c.kind satisfies 'view').to('views', { value: string() });
  const u2 = b.u2.to('u2');
  const rest = b.default.to('rest');
  const merged = b.default.merge(b.views, b.u2).mapValues((c) => c.ts).to('merged', { value: json() });
  const driver = new TopologyTestDriver(app);
  pipeClicks(driver, app);
  assert.equal(driver.output(v).readValues().length, clicks.filter((c) => c.kind === 'view').length);
  assert.deepEqual(driver.output(u2).readKeyValues().map((kv) => kv[0]), clicks.filter((c) => c.kind !== 'view' && c.user === 'u2').map((c) => c.user));
  assert.equal(driver.output(rest).readValues().length, clicks.filter((c) => c.kind !== 'view' && c.user !== 'u2').length);
  assert.deepEqual(driver.output(merged).readValues().sort(), clicks.map((c) => c.ts).sort());
});

test('to(): Kafka partitioner on key bytes by default; custom partitioner; round-robin for null keys', () => {
  const app = new StreamsApp({ applicationId: 'parts' });
  const src = app.stream('clicks', { key: string(), value: json<Click>() });
  const byKey = src.to('by-key');
  const custom1 = src.to('by-page', { partitioner: (_k, v, _kb, n) => v.page.length % n });
  const nulls = src.map((c) => [null, c] as const).to('no-key', { value: json() });
  const driver = new TopologyTestDriver(app, { partitions: { 'by-key': 5, 'by-page': 3, 'no-key': 2 } });
  pipeClicks(driver, app);
  for (const r of driver.output(byKey).readRecords()) {
    assert.equal(r.partition, partitionForKey(Buffer.from(r.key!, 'utf8'), 5));
  }
  for (const r of driver.output(custom1).readRecords()) assert.equal(r.partition, r.value!.page.length % 3);
  const np = driver.output(nulls).readAll().map((r) => r.partition);
  assert.deepEqual(np.sort(), [0, 0, 0, 1, 1]);
});

test('json(schema) validates and infers its type; invalid records go to the dead-letter topic with their bytes', () => {
  const schema = {
    parse(x: unknown): { n: number } {
      if (typeof x !== 'object' || x === null || typeof (x as { n?: unknown }).n !== 'number') throw new Error('n must be a number');
      return x as { n: number };
    },
  };
  const app = new StreamsApp({ applicationId: 'dlq' });
  const out = app.stream('nums', { key: string(), value: json(schema) }).mapValues((v) => v.n * 2).to('doubled', { value: json() });
  const driver = new TopologyTestDriver(app);
  const raw = driver.input('nums', { key: string(), value: string() });
  raw.pipe({ key: 'a', value: '{"n":1}', timestamp: 5 });
  raw.pipe({ key: 'b', value: '{"n":"x"}', timestamp: 6, headers: [{ key: 'trace', value: Buffer.from('t1') }] });
  raw.pipe({ key: 'c', value: 'not json', timestamp: 7 });
  raw.pipe({ key: 'd', value: '{"n":4}', timestamp: 8 });
  assert.deepEqual(driver.output(out).readValues(), [2, 8]);
  const dead = driver.deadLetters();
  assert.equal(dead.length, 2);
  const h = (r: (typeof dead)[number], k: string) => r.headers.find((x) => x.key === k)?.value?.toString();
  assert.equal(dead[0]!.value!.toString(), '{"n":"x"}');
  assert.equal(dead[0]!.key!.toString(), 'b');
  assert.equal(h(dead[0]!, 'trace'), 't1');
  assert.equal(h(dead[0]!, 'tributary.error.message'), 'n must be a number');
  assert.equal(h(dead[0]!, 'tributary.source.topic'), 'nums');
  assert.equal(h(dead[0]!, 'tributary.source.offset'), '1');
  assert.match(h(dead[0]!, 'tributary.error.stack') ?? '', /n must be a number/);
  assert.equal(dead[1]!.value!.toString(), 'not json');
  assert.equal(driver.metrics().deadLettered, 2);
});

test('a throwing user function dead-letters the record and processing continues', () => {
  const app = new StreamsApp({ applicationId: 'throws', deadLetter: 'my-dlq' });
  const out = app
    .stream('clicks', { key: string(), value: json<Click>() })
    .mapValues((c) => {
      if (c.user === 'u2') throw new TypeError('no u2');
      return c.user;
    }, { name: 'who' })
    .to('users', { value: string() });
  const driver = new TopologyTestDriver(app);
  pipeClicks(driver, app);
  assert.deepEqual(driver.output(out).readValues(), clicks.filter((c) => c.user !== 'u2').map((c) => c.user));
  const dead = driver.output('my-dlq', { value: json<Click>() }).readRecords();
  assert.deepEqual(dead.map((r) => r.value), clicks.filter((c) => c.user === 'u2'));
  assert.equal(dead[0]!.headers.find((h) => h.key === 'tributary.error.operator')?.value?.toString(), 'who');
});

test("deadLetter: 'fail' stops with a ProcessingError naming the record", () => {
  const app = new StreamsApp({ applicationId: 'failing', deadLetter: 'fail' });
  app.stream('in', { value: json<{ a: number }>() }).to('out');
  const driver = new TopologyTestDriver(app);
  const input = driver.input('in', { value: string() });
  input.pipe({ value: '{"a":1}' });
  assert.throws(
    () => input.pipe({ value: '{' }),
    (e: unknown) => e instanceof ProcessingError && e.topic === 'in' && e.offset === 1 && e.code === 'INVALID_RECORD',
  );
});

test('custom serdes round-trip; bytes by default', () => {
  const upper = custom<string>({
    name: 'upper',
    serialize: (s) => Buffer.from(s.toUpperCase()),
    deserialize: (b) => b.toString().toLowerCase(),
  });
  const app = new StreamsApp({ applicationId: 'serdes' });
  const out = app.stream('in', { value: upper }).mapValues((s) => `${s}!`).to('out', { value: upper });
  const raw = app.stream('raw').to('raw-out');
  const driver = new TopologyTestDriver(app);
  driver.input('in', { value: string() }).pipe({ value: 'HeLLo' });
  assert.deepEqual(driver.output(out).readValues(), ['hello!']);
  assert.equal(driver.output('out', { value: string() }).readAll()[0]!.value, 'HELLO!');
  driver.input('raw').pipe({ key: Buffer.from([1, 2]), value: Buffer.from([3]) });
  const r = driver.output(raw).readRecords()[0]!;
  assert.deepEqual([...r.key!, ...r.value!], [1, 2, 3]);
});
