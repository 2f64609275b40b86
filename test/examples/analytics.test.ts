import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamsApp, TopologyTestDriver, embedded } from '../../src/index.js';
import { analytics, FUNNEL_BUCKET_MS } from '../../examples/analytics/topology.js';
import { clickstream } from '../../examples/analytics/generator.js';
import { TOPICS, type ClickEvent, type FunnelOutcome } from '../../examples/analytics/events.js';
import { ensureTopics, readTopic, writeRecords } from '../../examples/shared/log-io.js';

const MINUTE = 60_000;
const FUNNEL = 30 * MINUTE;
const N = 12_000;

function input(n = N) {
  const out = [];
  for (const r of clickstream({ seed: 11 })) {
    out.push(r);
    if (out.length === n) break;
  }
  return out;
}

/** What the app must output, computed plainly from the events (in arrival order). */
function reference(events: readonly ClickEvent[]) {
  const pages = new Map<string, { views: number; users: Set<string> }>();
  const revenue = new Map<string, { revenueCents: number; orders: number }>();
  for (const e of events) {
    if (e.kind === 'view') {
      const k = `${e.page}@${Math.floor(e.ts / MINUTE) * MINUTE}`;
      const p = pages.get(k) ?? { views: 0, users: new Set<string>() };
      p.views++;
      p.users.add(e.user);
      pages.set(k, p);
    }
    if (e.kind === 'purchase') {
      const k = `${e.category}@${Math.floor(e.ts / (5 * MINUTE)) * 5 * MINUTE}`;
      const r = revenue.get(k) ?? { revenueCents: 0, orders: 0 };
      r.revenueCents += e.priceCents!;
      r.orders++;
      revenue.set(k, r);
    }
  }
  // Funnels: each user's clicks in the order they arrived (one user is one partition: that order).
  const byUser = new Map<string, ClickEvent[]>();
  for (const e of events) byUser.set(e.user, [...(byUser.get(e.user) ?? []), e]);
  const outcomes: FunnelOutcome[] = [];
  for (const [user, list] of byUser) {
    let open: { start: number; reached: 'view' | 'cart'; cartAt: number } | undefined;
    for (const e of list) {
      if (open && e.ts >= open.start + FUNNEL) {
        outcomes.push({ user, start: open.start, reached: open.reached, end: open.start + FUNNEL });
        open = undefined;
      }
      if (!open) {
        if (e.kind === 'view') open = { start: e.ts, reached: 'view', cartAt: 0 };
      } else if (e.kind === 'cart' && open.reached === 'view' && e.ts >= open.start) {
        open = { ...open, reached: 'cart', cartAt: e.ts };
      } else if (e.kind === 'purchase' && open.reached === 'cart' && e.ts >= open.cartAt) {
        outcomes.push({ user, start: open.start, reached: 'purchase', end: e.ts });
        open = undefined;
      }
    }
    if (open) outcomes.push({ user, start: open.start, reached: open.reached, end: open.start + FUNNEL });
  }
  const conversion = new Map<string, { funnels: number; carts: number; purchases: number }>();
  for (const f of outcomes) {
    const k = String(Math.floor(f.start / FUNNEL_BUCKET_MS) * FUNNEL_BUCKET_MS);
    const c = conversion.get(k) ?? { funnels: 0, carts: 0, purchases: 0 };
    c.funnels++;
    if (f.reached !== 'view') c.carts++;
    if (f.reached === 'purchase') c.purchases++;
    conversion.set(k, c);
  }
  return { pages, revenue, outcomes, conversion };
}

const sortOutcomes = (l: FunnelOutcome[]) => [...l].sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : a.start - b.start));

interface Outputs {
  pageStats: Array<{ page: string; start: number; end: number; views: number; uniqueVisitors: number }>;
  funnelOutcomes: FunnelOutcome[];
  funnelConversion: Array<[string, { funnels: number; carts: number; purchases: number; conversionRate: number; start: number; end: number }]>;
  categoryRevenue: Array<{ category: string; start: number; end: number; revenueCents: number; orders: number }>;
}

function check(events: ClickEvent[], out: Outputs): void {
  const ref = reference(events);
  // Page stats: one result per page and minute, views exact, unique visitors as the distinct count.
  assert.equal(out.pageStats.length, ref.pages.size);
  for (const s of out.pageStats) {
    const want = ref.pages.get(`${s.page}@${s.start}`);
    assert.ok(want, `unexpected window ${s.page}@${s.start}`);
    assert.equal(s.end - s.start, MINUTE);
    assert.equal(s.views, want.views, `${s.page}@${s.start} views`);
    assert.equal(s.uniqueVisitors, want.users.size, `${s.page}@${s.start} unique visitors`);
  }
  // Funnels: every outcome exactly once.
  assert.deepEqual(sortOutcomes(out.funnelOutcomes), sortOutcomes(ref.outcomes));
  for (const reached of ['view', 'cart', 'purchase']) {
    assert.ok(ref.outcomes.filter((f) => f.reached === reached).length > 20, `the input has '${reached}' outcomes`);
  }
  // Conversion: the last update per bucket is the bucket's total.
  const last = new Map(out.funnelConversion);
  assert.equal(last.size, ref.conversion.size);
  for (const [k, want] of ref.conversion) {
    const got = last.get(k)!;
    assert.deepEqual({ funnels: got.funnels, carts: got.carts, purchases: got.purchases }, want, `bucket ${k}`);
    assert.equal(got.conversionRate, want.purchases / want.funnels);
  }
  // Revenue per category per 5 minutes.
  assert.equal(out.categoryRevenue.length, ref.revenue.size);
  for (const r of out.categoryRevenue) {
    assert.deepEqual({ revenueCents: r.revenueCents, orders: r.orders }, ref.revenue.get(`${r.category}@${r.start}`), `${r.category}@${r.start}`);
  }
}

test('analytics: page stats, funnels, conversion and revenue match a plain reference (test driver, 2 partitions, small batches)', () => {
  const records = input();
  const app = new StreamsApp({ applicationId: 'analytics' });
  const sinks = analytics(app);
  const driver = new TopologyTestDriver(app, { partitions: { [TOPICS.clicks]: 2 }, maxBatchSize: 37 });
  const clicks = driver.input<string, ClickEvent>(TOPICS.clicks);
  clicks.pipeAll(records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
  driver.drain();
  assert.equal(driver.metrics().lateRecords, 0, 'the generator stays within maxOutOfOrderness');
  assert.equal(driver.deadLetters().length, 0);
  check(records.map((r) => r.value), {
    pageStats: driver.output(sinks.pageStats).readValues().map((v) => v!),
    funnelOutcomes: driver.output(sinks.funnelOutcomes).readValues().map((v) => v!),
    funnelConversion: driver.output(sinks.funnelConversion).readKeyValues().map(([k, v]) => [k!, v!]),
    categoryRevenue: driver.output(sinks.categoryRevenue).readValues().map((v) => v!),
  });
  driver.close();
});

test('analytics: a bounded run on the embedded log gives the same results', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-ex-analytics-'));
  const log = embedded({ dataDir: dir });
  try {
    const records = input(6_000);
    await ensureTopics(log, [{ name: TOPICS.clicks, partitions: 2 }]);
    await writeRecords(log, records);
    const app = new StreamsApp({ applicationId: 'analytics', log });
    analytics(app);
    const summary = await app.run({ until: 'end', stateDir: join(dir, 'state') });
    assert.equal(summary.recordsIn[TOPICS.clicks], records.length);
    assert.equal(summary.lateRecords, 0);
    const read = async (topic: string) => (await readTopic(log, topic)).map((r) => [r.key!, JSON.parse(r.value!)] as [string, never]);
    check(records.map((r) => r.value), {
      pageStats: (await read(TOPICS.pageStats)).map(([, v]) => v),
      funnelOutcomes: (await read(TOPICS.funnelOutcomes)).map(([, v]) => v),
      // Within a partition the updates are in order, so the last one per key is the final value.
      funnelConversion: await read(TOPICS.funnelConversion),
      categoryRevenue: (await read(TOPICS.categoryRevenue)).map(([, v]) => v),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
