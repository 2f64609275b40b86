/**
 * The stream algorithms as window aggregates through TopologyTestDriver: tumbling windows (with
 * the state restored from changelogs mid-stream), session windows (whose merges use the
 * aggregators' merge), and a keyed table. Expected results are computed straight from the input:
 * exact answers where the sketch is exact for small inputs (distinct counts, top-K below
 * capacity), the aggregator folded over the reference window's values otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  StreamsApp,
  TopologyTestDriver,
  approxDistinct,
  countMin,
  decayedAverage,
  json,
  quantiles,
  session,
  string,
  topK,
  tumbling,
  windowed,
  type Aggregator,
  type Windowed,
} from '../../../src/index.js';
import type { Aggregation } from '../../../src/engine/aggregation.js';
import { counts, fold, rankError, rng } from './util.js';

interface Click {
  user: string;
  page: string;
  ms: number;
  ts: number;
}

const distinct = approxDistinct((c: Click) => c.user);
const top = topK((c: Click) => c.user, 3, { capacity: 64 });
const latency = quantiles((c: Click) => c.ms);
const cms = countMin((c: Click) => c.user, { epsilon: 0.01, delta: 0.01 });
const decayed = decayedAverage((c: Click) => c.ms, { halfLife: '10s', timestamp: (c) => c.ts });

/** Clicks on 4 pages by 40 users over ~5 minutes, up to 2 s out of order, skewed users. */
function clicks(n: number, seed: number, spread = 300_000): Click[] {
  const r = rng(seed);
  const out: Click[] = [];
  for (let i = 0; i < n; i++) {
    const base = Math.floor((i / n) * spread);
    out.push({
      user: `u${Math.floor(40 * r() ** 2)}`,
      page: `p${Math.floor(r() * 4)}`,
      ms: Math.round(Math.exp(3 + r() * 2) * 10) / 10,
      ts: Math.max(0, base - Math.floor(r() * 2000)),
    });
  }
  return out;
}

const wserdes = { key: windowed(string()), value: json<unknown>() };
/** Compile-time only: the value type of a table. */
function driver_typecheck<K, V>(_t: import('../../../src/index.js').Table<K, V>): V | undefined {
  return undefined;
}
const wk = (w: Windowed<string>) => `${w.key}@${w.start}`;

function tumblingApp(): StreamsApp {
  const app = new StreamsApp({ applicationId: 'sketch-tumbling' });
  const w = app
    .stream('clicks', { key: string(), value: json<Click>(), timestamp: (c) => c.ts, maxOutOfOrderness: '5s' })
    .groupByKey()
    .window(tumbling('1m'));
  // Today's API: the aggregator's functions one by one, then its result.
  w.aggregate(distinct.init, distinct.add, { name: 'uv' }).mapValues(distinct.result).toStream().to('uv', { value: json() });
  w.aggregate(top.init, top.add, { name: 'top' }).mapValues(top.result).toStream().to('top', { value: json() });
  w.aggregate(latency.init, latency.add, { name: 'lat' }).mapValues(latency.result).toStream().to('lat', { value: json() });
  w.aggregate(cms.init, cms.add, { name: 'cms' })
    .mapValues((s) => {
      const r = cms.result(s);
      return { total: r.total, u0: r.estimate('u0'), u1: r.estimate('u1'), nobody: r.estimate('nobody') };
    })
    .toStream()
    .to('cms', { value: json() });
  w.aggregate(decayed.init, decayed.add, { name: 'ewma' }).mapValues(decayed.result).toStream().to('ewma', { value: json() });
  return app;
}

/** The reference: each (page, minute) window's clicks in arrival order. */
function tumblingReference(evs: readonly Click[]): Map<string, Click[]> {
  const m = new Map<string, Click[]>();
  for (const c of evs) {
    const k = `${c.page}@${Math.floor(c.ts / 60_000) * 60_000}`;
    const l = m.get(k) ?? [];
    l.push(c);
    m.set(k, l);
  }
  return m;
}

function readAll(driver: TopologyTestDriver, topic: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const r of driver.output(topic, wserdes).readRecords()) out.set(wk(r.key as Windowed<string>), r.value);
  return out;
}

function checkTumbling(got: Record<string, Map<string, unknown>>, evs: readonly Click[]): void {
  const ref = tumblingReference(evs);
  for (const topic of ['uv', 'top', 'lat', 'cms', 'ewma']) assert.equal(got[topic]!.size, ref.size, `${topic}: one result per window`);
  for (const [k, list] of ref) {
    const users = counts(list.map((c) => c.user));
    // Distinct users: exact for small sets.
    assert.equal(got.uv!.get(k), users.size, `uv ${k}`);
    // Top 3 users: exact (fewer users than counters), errors 0.
    const exactTop = [...users].sort((a, b) => b[1] - a[1] || 0).slice(0, 3);
    const t3 = got.top!.get(k) as Array<{ item: string; count: number; error: number }>;
    assert.deepEqual(
      t3.map((e) => e.count),
      exactTop.map((e) => e[1]),
      `top ${k}`,
    );
    for (const e of t3) assert.equal(users.get(e.item), e.count);
    assert.ok(t3.every((e) => e.error === 0));
    // Latency percentiles: within the t-digest bound of the true ranks, and as the digest folds them.
    const lat = got.lat! .get(k) as { count: number; min: number; max: number; p50: number; p95: number; p99: number };
    const sorted = Float64Array.from(list.map((c) => c.ms)).sort();
    assert.equal(lat.count, list.length);
    assert.equal(lat.min, sorted[0]);
    assert.equal(lat.max, sorted[sorted.length - 1]);
    for (const [q, v] of [
      [0.5, lat.p50],
      [0.95, lat.p95],
      [0.99, lat.p99],
    ] as const) {
      assert.ok(rankError(sorted, v, q) <= (2 * Math.PI * Math.sqrt(q * (1 - q))) / 100 + 1 / list.length, `lat ${k} q=${q}`);
    }
    assert.deepEqual(lat, JSON.parse(JSON.stringify(latency.result(fold(latency, list)))));
    // Count-min: totals exact, never under, and within ε·N here.
    const c = got.cms!.get(k) as { total: number; u0: number; u1: number; nobody: number };
    assert.equal(c.total, list.length);
    for (const [u, est] of [
      ['u0', c.u0],
      ['u1', c.u1],
      ['nobody', c.nobody],
    ] as const) {
      const f = users.get(u) ?? 0;
      assert.ok(est >= f && est <= f + 0.01 * list.length + 1e-9, `cms ${k} ${u}: ${est} vs ${f}`);
    }
    // Decayed average: the definition, over the window's clicks.
    const T = Math.max(...list.map((e) => e.ts));
    let s = 0;
    let wsum = 0;
    for (const e of list) {
      const f = 2 ** (-(T - e.ts) / 10_000);
      s += e.ms * f;
      wsum += f;
    }
    assert.ok(Math.abs((got.ewma!.get(k) as number) - s / wsum) < 1e-9, `ewma ${k}`);
  }
}

const TOPICS = ['uv', 'top', 'lat', 'cms', 'ewma'];

test('tumbling windows: every sketch per (page, minute), final results against exact answers', () => {
  const evs = clicks(3000, 1);
  const driver = new TopologyTestDriver(tumblingApp());
  driver.input('clicks', { key: string(), value: json<Click>() }).pipeAll(evs.map((c) => ({ key: c.page, value: c })));
  driver.drain();
  const got = Object.fromEntries(TOPICS.map((t) => [t, readAll(driver, t)]));
  checkTumbling(got, evs);
  assert.equal(driver.deadLetters().length, 0);
  assert.equal(driver.metrics().lateRecords, 0);
  driver.close();
});

test('tumbling windows restored from the changelogs mid-stream give the same results', () => {
  const evs = clicks(2000, 2);
  const feed = (d: TopologyTestDriver, part: readonly Click[]) =>
    d.input('clicks', { key: string(), value: json<Click>() }).pipeAll(part.map((c) => ({ key: c.page, value: c })));
  for (const cut of [1, 700, 1500]) {
    const first = new TopologyTestDriver(tumblingApp());
    feed(first, evs.slice(0, cut));
    const before = Object.fromEntries(TOPICS.map((t) => [t, readAll(first, t)]));
    const second = new TopologyTestDriver(tumblingApp(), { restoreFrom: first.snapshot() });
    feed(second, evs.slice(cut));
    second.drain();
    const after = Object.fromEntries(TOPICS.map((t) => [t, readAll(second, t)]));
    const got = Object.fromEntries(TOPICS.map((t) => [t, new Map([...before[t]!, ...after[t]!])]));
    checkTumbling(got, evs);
  }
});

test('the changelog carries each sketch state as compact bytes', () => {
  const evs = clicks(500, 3, 50_000); // one window per page
  const driver = new TopologyTestDriver(tumblingApp());
  driver.input('clicks', { key: string(), value: json<Click>() }).pipeAll(evs.map((c) => ({ key: c.page, value: c })));
  const sizes = (store: string) => driver.stateStores(store).flatMap((s) => [...s.all()].map((e) => e.value.length));
  // V8's framing of a Buffer costs 5 bytes or so; the states are their binary encodings.
  for (const v of sizes('uv')) assert.ok(v < 8 + 40 * 4 + 40 + 16, `uv state ${v} bytes (sparse: 4 per distinct user)`);
  for (const v of sizes('ewma')) assert.ok(v <= 26 + 8, `ewma state ${v} bytes`);
  for (const v of sizes('cms')) assert.ok(v <= 20 + 272 * 5 * 2 + 16, `cms state ${v} bytes`);
  for (const v of sizes('lat')) assert.ok(v < 36 + 100 * 16 + 60 * 8 + 16, `t-digest state ${v} bytes`);
  assert.ok(sizes('uv').length > 0);
});

interface Visit {
  user: string;
  page: string;
  ms: number;
  ts: number;
}

/** Sessions per user (gap 5 s), with late-arriving records that bridge two sessions into one. */
function sessionApp(emit: 'final' | 'update'): StreamsApp {
  const app = new StreamsApp({ applicationId: `sketch-session-${emit}` });
  const w = app
    .stream('visits', { key: string(), value: json<Visit>(), timestamp: (v) => v.ts, maxOutOfOrderness: '1m' })
    .groupByKey()
    .window(session('5s'), { emit });
  const pages = approxDistinct((v: Visit) => v.page);
  const topPages = topK((v: Visit) => v.page, 2);
  const lat = quantiles((v: Visit) => v.ms);
  const freq = countMin((v: Visit) => v.page, { epsilon: 0.05, delta: 0.05 });
  const ewma = decayedAverage((v: Visit) => v.ms, { halfLife: '2s', timestamp: (v) => v.ts });
  // Session windows: init, add and merge. The tables' changelogs go to the topics, deletes of
  // merged-away sessions included (under emit 'update').
  w.aggregate(pages.init, pages.add, pages.merge, { name: 'pages' })
    .mapValues(pages.result)
    .to('pages', { value: json() });
  w.aggregate(topPages.init, topPages.add, topPages.merge, { name: 'top-pages' })
    .mapValues(topPages.result)
    .to('top-pages', { value: json() });
  w.aggregate(lat.init, lat.add, lat.merge, { name: 'lat' })
    .mapValues((s) => lat.result(s).quantile(0.5))
    .to('median', { value: json() });
  w.aggregate(freq.init, freq.add, freq.merge, { name: 'freq' })
    .mapValues((s) => freq.result(s).estimate('home'))
    .to('home', { value: json() });
  w.aggregate(ewma.init, ewma.add, ewma.merge, { name: 'ewma' })
    .mapValues(ewma.result)
    .to('ewma', { value: json() });
  return app;
}

function visits(): Visit[] {
  const r = rng(9);
  const out: Visit[] = [];
  const pagesList = ['home', 'search', 'item', 'cart', 'pay', 'help'];
  for (let u = 0; u < 6; u++) {
    // Bursts of visits 0.5–3 s apart, bursts 8 s apart: separate sessions until a bridge arrives.
    let t = u * 1000;
    for (let burst = 0; burst < 4; burst++) {
      for (let i = 0; i < 6; i++) {
        out.push({ user: `u${u}`, page: pagesList[Math.floor(r() * 6)]!, ms: Math.round(r() * 1000), ts: t });
        t += 500 + Math.floor(r() * 2500);
      }
      t += 8000;
    }
  }
  out.sort((a, b) => a.ts - b.ts);
  // Bridges, arriving last (but on time): each joins two of its user's sessions.
  for (const u of [0, 2, 3]) {
    const mine = out.filter((v) => v.user === `u${u}`).map((v) => v.ts);
    let gapAt = 0;
    for (let i = 1; i < mine.length; i++) if (mine[i]! - mine[i - 1]! >= 5000) gapAt = i;
    const mid = Math.floor((mine[gapAt]! + mine[gapAt - 1]!) / 2);
    out.push({ user: `u${u}`, page: 'home', ms: 42, ts: mid });
  }
  return out;
}

/** Reference sessions: per user, visits sorted by time, split where the gap is >= 5 s. */
function sessionReference(vs: readonly Visit[]): Map<string, Visit[]> {
  const byUser = new Map<string, Visit[]>();
  for (const v of vs) byUser.set(v.user, [...(byUser.get(v.user) ?? []), v]);
  const out = new Map<string, Visit[]>();
  for (const [user, list] of byUser) {
    const sorted = [...list].sort((a, b) => a.ts - b.ts);
    let cur: Visit[] = [];
    for (const v of sorted) {
      if (cur.length > 0 && v.ts - cur[cur.length - 1]!.ts >= 5000) {
        out.set(`${user}@${cur[0]!.ts}`, cur);
        cur = [];
      }
      cur.push(v);
    }
    out.set(`${user}@${cur[0]!.ts}`, cur);
  }
  return out;
}

function checkSessions(got: Record<string, Map<string, unknown>>, vs: readonly Visit[]): void {
  const ref = sessionReference(vs);
  assert.ok([...ref.values()].some((l) => l.some((v) => v.ms === 42) && l.length > 7), 'bridges merged sessions');
  for (const t of ['pages', 'top-pages', 'median', 'home', 'ewma']) assert.deepEqual([...got[t]!.keys()].sort(), [...ref.keys()].sort(), t);
  for (const [k, list] of ref) {
    const pageCounts = counts(list.map((v) => v.page));
    assert.equal(got.pages!.get(k), pageCounts.size, `pages ${k}`);
    const t2 = got['top-pages']!.get(k) as Array<{ item: string; count: number; error: number }>;
    const best = [...pageCounts.values()].sort((a, b) => b - a).slice(0, 2);
    assert.deepEqual(
      t2.map((e) => e.count),
      best,
      `top pages ${k}`,
    );
    for (const e of t2) assert.equal(pageCounts.get(e.item), e.count);
    const sorted = Float64Array.from(list.map((v) => v.ms)).sort();
    assert.equal(rankError(sorted, got.median!.get(k) as number, 0.5), 0, `median ${k}: every value kept, the median is a data value or between its neighbours`);
    const home = got.home!.get(k) as number;
    assert.ok(home >= (pageCounts.get('home') ?? 0) && home <= (pageCounts.get('home') ?? 0) + 0.05 * list.length, `home ${k}`);
    const T = Math.max(...list.map((v) => v.ts));
    let s = 0;
    let wsum = 0;
    for (const v of list) {
      const f = 2 ** (-(T - v.ts) / 2000);
      s += v.ms * f;
      wsum += f;
    }
    assert.ok(Math.abs((got.ewma!.get(k) as number) - s / wsum) < 1e-9, `ewma ${k}`);
  }
}

test('session windows: sessions that merge combine their sketches (final emission)', () => {
  const vs = visits();
  const driver = new TopologyTestDriver(sessionApp('final'));
  driver.input('visits', { key: string(), value: json<Visit>() }).pipeAll(vs.map((v) => ({ key: v.user, value: v })));
  driver.drain();
  const got = Object.fromEntries(['pages', 'top-pages', 'median', 'home', 'ewma'].map((t) => [t, readAll(driver, t)]));
  checkSessions(got, vs);
  assert.equal(driver.metrics().lateRecords, 0);
  assert.equal(driver.deadLetters().length, 0);
});

test('session windows, emit update: the latest value per live session matches the final sessions', () => {
  const vs = visits();
  const driver = new TopologyTestDriver(sessionApp('update'));
  driver.input('visits', { key: string(), value: json<Visit>() }).pipeAll(vs.map((v) => ({ key: v.user, value: v })));
  const got: Record<string, Map<string, unknown>> = {};
  for (const t of ['pages', 'top-pages', 'median', 'home', 'ewma']) {
    const latest = new Map<string, unknown>();
    // Merged-away sessions end with a null (a delete); what remains are the final sessions.
    for (const r of driver.output(t, wserdes).readRecords()) latest.set(wk(r.key as Windowed<string>), r.value);
    got[t] = new Map([...latest].filter(([, v]) => v !== null));
  }
  checkSessions(got, vs);
});

test('.window(...).aggregate(approxDistinct(...)): the public overload, on tumbling and session windows; tables read results', () => {
  const app = new StreamsApp({ applicationId: 'sketch-agg' });
  const keyed = app.stream('clicks', { key: string(), value: json<Click>(), timestamp: (c) => c.ts, maxOutOfOrderness: '5s' }).groupByKey();
  const perWindow = keyed.window(tumbling('1m')).aggregate(approxDistinct((c: Click) => c.user), { name: 'uv-window' });
  const perSession = keyed.window(session('30s'), { name: 'sessions' }).aggregate(distinct, { name: 'uv-session' });
  // the result type flows from the aggregator: a Table of numbers
  const n: number | undefined = driver_typecheck(perWindow);
  void n;
  perWindow.toStream().to('uv', { value: json() });
  perSession.toStream().to('uv-sessions', { value: json() });
  const evs = clicks(1000, 4);
  const driver = new TopologyTestDriver(app);
  driver.input('clicks', { key: string(), value: json<Click>() }).pipeAll(evs.map((c) => ({ key: c.page, value: c })));
  // Interactive reads of the open windows give results (the estimate), not states.
  const open = driver.tableEntries(perWindow);
  assert.ok(open.length > 0);
  const ref = tumblingReference(evs);
  for (const [w, n] of open) assert.equal(n, new Set(ref.get(`${w.key}@${w.start}`)!.map((c) => c.user)).size);
  driver.drain();
  const got = readAll(driver, 'uv');
  for (const [k, list] of ref) assert.equal(got.get(k), new Set(list.map((c) => c.user)).size);
  // Each page's clicks are never 30 s apart: one session per page, all users.
  const sessions = readAll(driver, 'uv-sessions');
  assert.equal(sessions.size, 4);
  for (const [k, n] of sessions) assert.equal(n, new Set(evs.filter((c) => c.page === k.split('@')[0]).map((c) => c.user)).size);
});
