import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDashboard, type Dashboard } from '../../src/dashboard/index.js';
import { partitionForKey } from '../../src/records/partitioner.js';
import { DashboardFixture, eventually, parseMetrics, PARTITIONS, sum, USERS } from './fixture.js';

interface MetricsJson {
  application: {
    recordsIn: number;
    commits: number;
    partitions: Array<{ topic: string; partition: number; lag: number; processed: number; end: number; committed: number; recordsIn: number }>;
    tasks: Array<{ id: string; recordsIn: number; stores: Array<{ name: string; entries: number; bytes: number }>; operators: Array<{ name: string; recordsOut: number }> }>;
  };
}

async function get(d: Dashboard, path: string, init?: RequestInit): Promise<Response> {
  return fetch(new URL(path, d.url), init);
}

async function getJson<T>(d: Dashboard, path: string): Promise<T> {
  const r = await get(d, path);
  assert.equal(r.status, 200, `${path}: ${r.status} ${await r.clone().text()}`);
  return (await r.json()) as T;
}

describe('dashboard HTTP API and /metrics against a running application', { timeout: 180_000 }, () => {
  let f: DashboardFixture;
  let d: Dashboard;
  const N = 3_000;

  /** Everything written was processed and committed: input lag 0 and every click counted. */
  async function settled(): Promise<MetricsJson['application']> {
    return eventually(async () => {
      const m = await getJson<MetricsJson>(d, '/api/metrics');
      const a = m.application;
      const clicks = a.partitions.filter((p) => p.topic === 'clicks');
      const inClicks = clicks.reduce((n, p) => n + p.recordsIn, 0);
      const allCommitted = a.partitions.every((p) => p.committed === p.end && p.lag === 0);
      return inClicks === f.written && allCommitted ? a : undefined;
    }, `all ${f.written} clicks processed and committed`);
  }

  before(async () => {
    f = await DashboardFixture.start();
    d = await startDashboard({ app: f.app, log: f.log, port: 0, sampleIntervalMs: 200 });
    await f.write(N);
    await settled();
  });

  after(async () => {
    await d?.close();
    await f?.close();
  });

  test('/metrics: records, lag, offsets, operators, stores, commits and histograms match what was processed', async () => {
    const r = await get(d, '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await r.text();
    const m = parseMetrics(text);
    const app = { application: 'dash-test' };
    // Every click read once from its partition; partitions of 'clicks' sum to what was written.
    assert.equal(sum(m, 'tributary_input_partition_records_in_total', { ...app, topic: 'clicks' }), N);
    for (let p = 0; p < PARTITIONS; p++) {
      assert.equal(sum(m, 'tributary_consumer_lag_records', { ...app, topic: 'clicks', partition: String(p) }), 0);
    }
    // The keyBy writes each click once to the repartition topic; the page counts go out as updates.
    assert.equal(sum(m, 'tributary_records_out_total', { ...app, topic: 'dash-test-by-page-repartition' }), N);
    assert.ok(sum(m, 'tributary_records_out_total', { ...app, topic: 'page-counts' }) > 0);
    // Tasks: sub-topology 0 reads the clicks, sub-topology 1 the repartitioned clicks: 2N in all.
    assert.equal(sum(m, 'tributary_records_in_total', app), 2 * N);
    // The per-user store holds one entry per user, over the four tasks of sub-topology 0.
    assert.equal(sum(m, 'tributary_state_store_entries', { ...app, store: 'clicks-per-user' }), USERS);
    assert.ok(sum(m, 'tributary_state_store_bytes', { ...app, store: 'clicks-per-user' }) > USERS * 'user-0'.length);
    // Operators: the keyBy passes every click on.
    assert.equal(sum(m, 'tributary_operator_records_out_total', { ...app, operator: 'by-page' }), N);
    assert.ok(sum(m, 'tributary_commits_total', app) >= 1);
    assert.equal(sum(m, 'tributary_rebalances_total', app), 1);
    assert.equal(sum(m, 'tributary_restore_done', app), 1);
    // Histograms: cumulative buckets, +Inf equals the count.
    for (const h of ['tributary_processing_latency_ms', 'tributary_end_to_end_latency_ms', 'tributary_commit_duration_ms']) {
      const buckets = m.filter((s) => s.name === `${h}_bucket`);
      assert.ok(buckets.length > 10, h);
      for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, `${h} buckets are cumulative`);
      assert.equal(buckets.at(-1)!.labels.le, '+Inf');
      assert.equal(buckets.at(-1)!.value, sum(m, `${h}_count`));
    }
    // Weighted by the records handed to tasks: 2N clicks plus the repartition topic's watermark markers.
    assert.ok(sum(m, 'tributary_processing_latency_ms_count') >= 2 * N);
    assert.ok(sum(m, 'tributary_processing_latency_ms_sum') > 0);
    // Watermarks: one per task, and Node's process metrics beside ours.
    assert.equal(m.filter((s) => s.name === 'tributary_watermark_ms').length, 2 * PARTITIONS);
    assert.ok(m.some((s) => s.name === 'process_cpu_user_seconds_total'));
    assert.match(text, /# TYPE tributary_end_to_end_latency_ms histogram/);
  });

  test('metrics move: more clicks raise the counters by exactly that many', async () => {
    const before = parseMetrics(await (await get(d, '/metrics')).text());
    await f.write(500);
    await settled();
    const after = parseMetrics(await (await get(d, '/metrics')).text());
    const key = { application: 'dash-test', topic: 'clicks' };
    assert.equal(sum(after, 'tributary_input_partition_records_in_total', key) - sum(before, 'tributary_input_partition_records_in_total', key), 500);
    assert.equal(sum(after, 'tributary_operator_records_out_total', { operator: 'by-page' }) - sum(before, 'tributary_operator_records_out_total', { operator: 'by-page' }), 500);
  });

  test('/api/events streams samples whose record counts grow as clicks arrive', async () => {
    const ctrl = new AbortController();
    const res = await get(d, '/api/events', { signal: ctrl.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.getReader();
    let buf = '';
    const samples: Array<{ t: number; app: { recordsIn: number; lag: Record<string, number>; stores: Record<string, { entries: number }> } }> = [];
    const next = async () => {
      for (;;) {
        const i = buf.indexOf('\n\n');
        if (i >= 0) {
          const ev = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = ev.split('\n').find((l) => l.startsWith('data: '));
          if (data) return JSON.parse(data.slice(6));
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buf += Buffer.from(value).toString('utf8');
      }
    };
    samples.push(await next());
    const written = f.written;
    await f.write(400);
    // Samples until one shows the new clicks processed.
    for (;;) {
      const s = await next();
      samples.push(s);
      if (s.app.recordsIn >= 2 * (written + 400)) break;
    }
    ctrl.abort();
    const first = samples[0]!;
    const last = samples.at(-1)!;
    assert.ok(last.t > first.t);
    assert.ok(last.app.recordsIn > first.app.recordsIn);
    assert.deepEqual(Object.keys(last.app.lag).sort(), ['clicks/0', 'clicks/1', 'clicks/2', 'clicks/3']);
    assert.equal(last.app.stores['clicks-per-user']!.entries, USERS);
    // The history endpoint holds what the stream sent.
    const { samples: history } = await getJson<{ samples: Array<{ t: number }> }>(d, '/api/history');
    assert.ok(history.some((h) => h.t === last.t));
  });

  test('/api/topology: sub-topologies, operators, stores and the repartition edge', async () => {
    const t = await getJson<{
      applicationId: string;
      subtopologies: Array<{ id: number; nodes: string[] }>;
      nodes: Array<{ name: string; type: string; stores: string[]; topic?: string; internal?: boolean }>;
      edges: Array<{ from: string; to: string; via?: string }>;
      topics: { repartition: string[]; changelogs: string[]; sources: string[] };
      tasks: number[];
    }>(d, '/api/topology');
    assert.equal(t.applicationId, 'dash-test');
    assert.equal(t.subtopologies.length, 2);
    assert.deepEqual(t.tasks, [PARTITIONS, PARTITIONS]);
    assert.deepEqual(t.topics.sources, ['clicks']);
    assert.deepEqual(t.topics.repartition, ['dash-test-by-page-repartition']);
    assert.ok(t.topics.changelogs.includes('dash-test-clicks-per-user-changelog'));
    const perUser = t.nodes.find((n) => n.stores.includes('clicks-per-user'))!;
    assert.equal(perUser.type, 'count');
    const via = t.edges.filter((e) => e.via === 'dash-test-by-page-repartition');
    assert.equal(via.length, 1);
    assert.ok(t.subtopologies[0]!.nodes.includes(via[0]!.from) && t.subtopologies[1]!.nodes.includes(via[0]!.to));
  });

  test('/api/log: topics with offsets, and the application\'s group with zero lag', async () => {
    await settled();
    const v = await getJson<{
      topics: Array<{ name: string; partitions: Array<{ partition: number; endOffset: number; bytes: number }> }>;
      groups: Array<{ groupId: string; state: string; offsets: Array<{ topic: string; partition: number; committed: number; lag: number }>; totalLag: number }>;
    }>(d, '/api/log');
    const clicks = v.topics.find((t) => t.name === 'clicks')!;
    assert.equal(clicks.partitions.reduce((n, p) => n + p.endOffset, 0), f.written);
    assert.ok(clicks.partitions.every((p) => p.bytes > 0));
    const g = v.groups.find((x) => x.groupId === 'dash-test')!;
    assert.equal(g.state, 'Stable');
    assert.equal(g.totalLag, 0);
    assert.equal(g.offsets.filter((o) => o.topic === 'clicks').reduce((n, o) => n + o.committed, 0), f.written);
  });

  test('interactive queries: by key, routed to the owning partition; by key range over all partitions', async () => {
    await settled();
    const stores = await getJson<{ stores: Array<{ name: string; partitions: number }> }>(d, '/api/state');
    assert.deepEqual(stores.stores.map((s) => s.name).sort(), ['clicks-per-user', 'views-per-page']);
    for (const user of ['user-0', 'user-7', 'user-19']) {
      const r = await getJson<{ partitions: number[]; entries: Array<{ key: string; value: number; partition: number }> }>(d, `/api/state/clicks-per-user?key=${user}`);
      const owner = partitionForKey(Buffer.from(user), PARTITIONS);
      assert.deepEqual(r.partitions, [owner]);
      assert.deepEqual(r.entries, [{ key: user, value: f.expectedPerUser.get(user), partition: owner }]);
    }
    const absent = await getJson<{ entries: unknown[]; partitions: number[] }>(d, '/api/state/clicks-per-user?key=nobody');
    assert.deepEqual(absent.entries, []);
    // Range: inclusive bounds on the key text, sorted, from every partition.
    const range = await getJson<{ entries: Array<{ key: string; value: number }>; truncated: boolean }>(d, '/api/state/clicks-per-user?from=user-1&to=user-13');
    const expected = [...f.expectedPerUser].filter(([u]) => u >= 'user-1' && u <= 'user-13').sort((a, b) => (a[0] < b[0] ? -1 : 1));
    assert.deepEqual(range.entries.map((e) => [e.key, e.value]), expected);
    assert.equal(range.truncated, false);
    const limited = await getJson<{ entries: unknown[]; truncated: boolean }>(d, '/api/state/clicks-per-user?limit=5');
    assert.equal(limited.entries.length, 5);
    assert.equal(limited.truncated, true);
    // The per-page store, keyed after the repartition: every page's count.
    const pages = await getJson<{ entries: Array<{ key: string; value: number }> }>(d, '/api/state/views-per-page');
    assert.deepEqual(new Map(pages.entries.map((e) => [e.key, e.value])), f.expectedPerPage);
  });

  test('interactive queries: errors are JSON with a code', async () => {
    const cases: Array<[string, number, string]> = [
      ['/api/state/no-such-store?key=a', 404, 'UNKNOWN_STORE'],
      ['/api/state/clicks-per-user?partition=9', 400, 'BAD_QUERY'],
      ['/api/state/clicks-per-user?key=a&from=b', 400, 'BAD_QUERY'],
      ['/api/state/clicks-per-user?from=z&to=a', 400, 'BAD_QUERY'],
      ['/api/state/clicks-per-user?limit=x', 400, 'BAD_QUERY'],
      ['/api/nothing', 404, 'NOT_FOUND'],
    ];
    for (const [path, status, code] of cases) {
      const r = await get(d, path);
      assert.equal(r.status, status, path);
      assert.equal(((await r.json()) as { error: string }).error, code, path);
    }
  });

  test('read-only: anything but GET and HEAD is refused', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await get(d, '/api/state/clicks-per-user', { method });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers.get('allow'), 'GET, HEAD');
    }
  });

  test('the page and its assets are served locally', async () => {
    const page = await get(d, '/');
    assert.equal(page.status, 200);
    const html = await page.text();
    for (const src of [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!)) {
      const r = await get(d, src);
      assert.equal(r.status, 200, src);
      assert.ok((await r.arrayBuffer()).byteLength > 100, src);
    }
    assert.doesNotMatch(html, /https?:\/\//, 'no external URL in the page');
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  });
});
