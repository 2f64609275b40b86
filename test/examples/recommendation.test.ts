import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamsApp, TopologyTestDriver, embedded } from '../../src/index.js';
import { recommendation } from '../../examples/recommendation/topology.js';
import { itemViews } from '../../examples/recommendation/generator.js';
import { RecommendationServer } from '../../examples/recommendation/query-server.js';
import { TOPICS, type ItemView, type Recommendations, type Trending } from '../../examples/recommendation/events.js';
import { ensureTopics, readTopic, writeRecords } from '../../examples/shared/log-io.js';

const MINUTE = 60_000;
const GAP = 30 * MINUTE;

function input(n: number) {
  const out = [];
  for (const r of itemViews({ seed: 9 })) {
    out.push(r);
    if (out.length === n) break;
  }
  return out;
}

function reference(views: readonly ItemView[]) {
  // Trending: exact counts per 10-minute window sliding every minute.
  const windows = new Map<number, Map<string, number>>();
  for (const v of views) {
    for (let s = Math.floor(v.ts / MINUTE) * MINUTE; s > v.ts - 10 * MINUTE; s -= MINUTE) {
      const w = windows.get(s) ?? new Map<string, number>();
      w.set(v.item, (w.get(v.item) ?? 0) + 1);
      windows.set(s, w);
    }
  }
  // Sessions: a user's views split where two consecutive ones are GAP or more apart.
  const byUser = new Map<string, ItemView[]>();
  for (const v of views) byUser.set(v.user, [...(byUser.get(v.user) ?? []), v]);
  const together = new Map<string, Map<string, number>>();
  let sessions = 0;
  for (const list of byUser.values()) {
    list.sort((a, b) => a.ts - b.ts);
    let items = new Set<string>();
    const flush = () => {
      sessions++;
      for (const a of items) {
        for (const b of items) {
          if (a === b) continue;
          const m = together.get(a) ?? new Map<string, number>();
          m.set(b, (m.get(b) ?? 0) + 1);
          together.set(a, m);
        }
      }
      items = new Set();
    };
    list.forEach((v, i) => {
      if (i > 0 && v.ts - list[i - 1]!.ts >= GAP) flush();
      items.add(v.item);
    });
    flush();
  }
  const recs = new Map<string, Array<{ item: string; sessions: number }>>();
  for (const [a, m] of together) {
    const top = [...m].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).slice(0, 5);
    recs.set(a, top.map(([item, n]) => ({ item, sessions: n })));
  }
  return { windows, recs, sessions };
}

function check(views: ItemView[], trending: Trending[], recs: Array<[string, Recommendations]>): void {
  const ref = reference(views);
  assert.equal(trending.length, ref.windows.size, 'one trending list per window');
  for (const t of trending) {
    const counts = ref.windows.get(t.start)!;
    const want = [...counts.values()].sort((a, b) => b - a).slice(0, 10);
    assert.deepEqual(t.top.map((e) => e.views), want, `window ${t.start}: the top counts`);
    for (const e of t.top) assert.equal(e.views, counts.get(e.item), `window ${t.start}: ${e.item}`);
  }
  const last = new Map(recs);
  assert.equal(last.size, ref.recs.size);
  for (const [item, want] of ref.recs) assert.deepEqual(last.get(item)!.viewedTogether, want, item);
  assert.ok(ref.sessions > 100 && ref.recs.size > 50, 'the input has many sessions and co-viewed items');
}

test('recommendation: trending top-K per sliding window and viewed-together per session match a reference (test driver)', () => {
  const records = input(8_000);
  const app = new StreamsApp({ applicationId: 'recommendation' });
  const sinks = recommendation(app);
  const driver = new TopologyTestDriver(app, { partitions: { [TOPICS.views]: 2 }, maxBatchSize: 53 });
  driver.input<string, ItemView>(TOPICS.views).pipeAll(records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp })));
  driver.drain();
  assert.equal(driver.metrics().lateRecords, 0);
  assert.equal(driver.deadLetters().length, 0);
  check(
    records.map((r) => r.value),
    driver.output(sinks.trending).readValues().map((v) => v!),
    driver.output(sinks.recommendations).readKeyValues().map(([k, v]) => [k!, v!]),
  );
  driver.close();
});

test('recommendation: a bounded run on the embedded log, then the query endpoint answers from the output topics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-ex-rec-'));
  const log = embedded({ dataDir: dir });
  const server = new RecommendationServer(log);
  try {
    const records = input(6_000);
    await ensureTopics(log, [{ name: TOPICS.views, partitions: 2 }]);
    await writeRecords(log, records);
    const app = new StreamsApp({ applicationId: 'recommendation', log });
    recommendation(app);
    const summary = await app.run({ until: 'end', stateDir: join(dir, 'state') });
    assert.equal(summary.lateRecords, 0);
    const kv = async <T>(topic: string) => (await readTopic(log, topic)).map((r) => [r.key!, JSON.parse(r.value!) as T] as [string, T]);
    const trending = (await kv<Trending>(TOPICS.trending)).map(([, v]) => v);
    check(records.map((r) => r.value), trending, await kv<Recommendations>(TOPICS.recommendations));

    const url = await server.listen(0);
    const ref = reference(records.map((r) => r.value));
    const [item, want] = [...ref.recs].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0]!;
    const res = await fetch(`${url}/recommendations/${item}`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { item: string; viewedTogether: unknown; trending: Trending['top'] };
    assert.equal(body.item, item);
    assert.deepEqual(body.viewedTogether, want);
    const latest = trending.reduce((a, b) => (b.end > a.end ? b : a));
    assert.deepEqual(body.trending, latest.top);
    const unknown = (await (await fetch(`${url}/recommendations/no-such-item`)).json()) as { viewedTogether: unknown[] };
    assert.deepEqual(unknown.viewedTogether, []);
    assert.equal((await fetch(`${url}/nope`)).status, 404);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
