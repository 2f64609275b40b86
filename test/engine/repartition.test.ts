import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionForKey } from '../../src/records/partitioner.js';
import { StreamsApp, TopologyTestDriver, json, string } from '../../src/index.js';

interface Click {
  user: string;
  page: string;
  ts: number;
}

const pages = ['/', '/a', '/b', '/cart', '/checkout', '/help'];
const clicks: Click[] = Array.from({ length: 60 }, (_, i) => ({
  user: `u${(i * 7) % 11}`,
  page: pages[(i * 5 + (i >> 2)) % pages.length]!,
  ts: 1000 + i * 100,
}));

test('keyBy repartitions by the new key: one task per partition on both sides, counts per key as the reference', () => {
  const app = new StreamsApp({ applicationId: 'shop' });
  const counts = app
    .stream('clicks', { key: string(), value: json<Click>(), timestamp: (c) => c.ts })
    .keyBy((c) => c.page, { key: string(), name: 'by-page', partitions: 4 })
    .count()
    .toStream()
    .to('page-counts', { value: json() });
  const topology = app.topology();
  assert.deepEqual(topology.repartitionTopics, ['shop-by-page-repartition']);
  assert.equal(topology.subtopologies.length, 2);

  const driver = new TopologyTestDriver(app, { partitions: { clicks: 3, 'page-counts': 2 } });
  assert.equal(driver.allTasks.length, 3 + 4);
  driver.input('clicks', { key: string(), value: json<Click>() }).pipeAll(clicks.map((c) => ({ key: c.user, value: c })));

  const expected = new Map<string, number>();
  for (const c of clicks) expected.set(c.page, (expected.get(c.page) ?? 0) + 1);
  const out = driver.output(counts).readRecords();
  const latest = new Map<string, number>();
  const perKey = new Map<string, number[]>();
  for (const r of out) {
    latest.set(r.key!, r.value!);
    perKey.set(r.key!, [...(perKey.get(r.key!) ?? []), r.value!]);
  }
  assert.deepEqual(latest, expected);
  // Each key's updates are 1, 2, ..., n: all of a key's records reached the same task, in order.
  for (const [k, seq] of perKey) assert.deepEqual(seq, Array.from({ length: expected.get(k)! }, (_, i) => i + 1));
  // The repartition topic holds every click, at Kafka's partition for the page.
  const rp = driver.output('shop-by-page-repartition', { key: string(), value: json<Click>() }).readAll();
  assert.equal(rp.length, clicks.length);
  for (const r of rp) assert.equal(r.partition, partitionForKey(Buffer.from(r.key!), 4));
  // Sources spread by user key on 3 partitions: several upstream tasks really wrote.
  assert.ok(new Set(driver.output('clicks', { key: string() }).readAll().map((r) => r.partition)).size > 1);
  // Outputs go to page-counts' own 2 partitions by key.
  for (const r of out) assert.equal(r.partition, partitionForKey(Buffer.from(r.key!), 2));
});

test('selectKey repartitions lazily, at the next keyed operation; a custom partitioner on keyBy', () => {
  const app = new StreamsApp({ applicationId: 'lazy' });
  const s = app.stream('clicks', { key: string(), value: json<Click>() });
  const rekeyed = s.selectKey((c) => c.page);
  rekeyed.to('rekeyed', { key: string() });
  rekeyed.groupByKey({ name: 'pages', key: string() }).count().toStream().to('n', { value: json() });
  s.keyBy((c) => c.user.length, { name: 'len', partitions: 3, partitioner: (k, _v, _kb, n) => k % n }).count();
  const t = app.topology();
  assert.deepEqual(t.repartitionTopics.sort(), ['lazy-len-repartition', 'lazy-pages-repartition']);
  const driver = new TopologyTestDriver(app);
  driver.input('clicks', { key: string(), value: json<Click>() }).pipeAll(clicks.map((c) => ({ key: c.user, value: c })));
  for (const r of driver.output('lazy-len-repartition', { value: json<Click>() }).readAll()) assert.equal(r.partition, r.value!.user.length % 3);
  assert.equal(driver.output('rekeyed').readAll().length, clicks.length);
});

test('describe() names sub-topologies, operators, stores and internal topics', () => {
  const app = new StreamsApp({ applicationId: 'clicks' });
  app
    .stream('clicks', { key: string(), value: json<Click>(), maxOutOfOrderness: '5s' })
    .filter((c) => c.page !== '/health')
    .keyBy((c) => c.page, { key: string() })
    .count()
    .toStream()
    .to('page-views', { value: json() });
  const text = app.describe();
  assert.match(text, /Sub-topology: 0\n {4}Source: clicks \(topics: \[clicks\]\)/);
  assert.match(text, /Processor: clicks-filter/);
  assert.match(text, /Sink: clicks-keyBy-repartition-sink \(topic: clicks-clicks-keyBy-repartition\)/);
  assert.match(text, /Sub-topology: 1\n {4}Source: clicks-keyBy-repartition-source \(topics: \[clicks-clicks-keyBy-repartition\]\)/);
  assert.match(text, /Processor: clicks-keyBy-count \(count; stores: \[clicks-keyBy-count\]\)/);
  assert.match(text, /clicks-clicks-keyBy-count-changelog \(changelog\)/);
  assert.match(text, /Sink: page-views-sink \(topic: page-views\)/);
  assert.match(text, /--> clicks-keyBy\n/);
  assert.match(text, /<-- clicks-filter\n/);
});

test('state names come from operator names, not positions: adding a stateless step keeps them', () => {
  const build = (extra: boolean) => {
    const app = new StreamsApp({ applicationId: 'stable' });
    let s = app.stream('clicks', { key: string(), value: json<Click>() });
    if (extra) s = s.filter(() => true).mapValues((c) => c);
    s.keyBy((c) => c.page).count();
    return app.topology().stores;
  };
  assert.deepEqual(build(false), build(true));
  assert.deepEqual(build(false), ['clicks-keyBy-count']);
});
