import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamsApp, TopologyTestDriver, embedded } from '../../src/index.js';
import { monitoring, DEFAULT_ALERTING } from '../../examples/monitoring/topology.js';
import { telemetry } from '../../examples/monitoring/generator.js';
import { TOPICS, type Alert, type LatencyStats, type LogLine, type RequestMetric, type ServiceHealth } from '../../examples/monitoring/events.js';
import { ensureTopics, readTopic, writeRecords } from '../../examples/shared/log-io.js';

const SIZE = 60_000;
const ADVANCE = 10_000;

function input(n: number) {
  const out = [];
  for (const r of telemetry({ seed: 5, incidentEveryMs: 2 * 60_000 })) {
    out.push(r);
    if (out.length === n) break;
  }
  return out;
}

/** The windows [s, s + SIZE) with s a multiple of ADVANCE that contain t. */
function windowsOf(t: number): number[] {
  const out = [];
  for (let s = Math.floor(t / ADVANCE) * ADVANCE; s > t - SIZE; s -= ADVANCE) out.push(s);
  return out;
}

function reference(values: ReadonlyArray<RequestMetric | LogLine>) {
  const latencies = new Map<string, number[]>();
  const health = new Map<string, { requests: number; errors: number; errorLogs: number; sample: [number, string] | null }>();
  for (const v of values) {
    for (const s of windowsOf(v.ts)) {
      const k = `${v.service}@${s}`;
      const h = health.get(k) ?? { requests: 0, errors: 0, errorLogs: 0, sample: null };
      if ('latencyMs' in v) {
        latencies.set(k, [...(latencies.get(k) ?? []), v.latencyMs]);
        h.requests++;
        if (v.status >= 500) h.errors++;
      } else if (v.level === 'ERROR') {
        h.errorLogs++;
        if (!h.sample || v.ts < h.sample[0] || (v.ts === h.sample[0] && v.message < h.sample[1])) h.sample = [v.ts, v.message];
      }
      health.set(k, h);
    }
  }
  // Alerts: each service's windows in time order, through the two thresholds.
  const alerts: Array<Pick<Alert, 'id' | 'service' | 'state' | 'windowEnd'>> = [];
  const keys = [...health.keys()].sort((a, b) => {
    const [sa, ta] = a.split('@');
    const [sb, tb] = b.split('@');
    return sa! < sb! ? -1 : sa! > sb! ? 1 : Number(ta) - Number(tb);
  });
  let firing: string | undefined;
  let service = '';
  for (const k of keys) {
    const [svc, start] = k.split('@') as [string, string];
    if (svc !== service) [service, firing] = [svc, undefined];
    const h = health.get(k)!;
    if (h.requests < DEFAULT_ALERTING.minRequests) continue;
    const rate = h.errors / h.requests;
    const end = Number(start) + SIZE;
    if (!firing && rate >= DEFAULT_ALERTING.fireAt) {
      firing = `${svc}/error-rate/${end}`;
      alerts.push({ id: firing, service: svc, state: 'firing', windowEnd: end });
    } else if (firing && rate <= DEFAULT_ALERTING.resolveAt) {
      alerts.push({ id: firing, service: svc, state: 'resolved', windowEnd: end });
      firing = undefined;
    }
  }
  return { latencies, health, alerts };
}

function check(values: ReadonlyArray<RequestMetric | LogLine>, latency: LatencyStats[], health: ServiceHealth[], alerts: Alert[]): void {
  const ref = reference(values);
  assert.equal(latency.length, ref.latencies.size, 'one latency result per service and window');
  for (const l of latency) {
    const xs = [...ref.latencies.get(`${l.service}@${l.start}`)!].sort((a, b) => a - b);
    assert.equal(l.count, xs.length);
    assert.equal(l.max, xs[xs.length - 1]);
    // t-digest bound at p95: rank error <= 1.4 % (δ = 100), plus one value's share of the ranks.
    const below = xs.filter((x) => x < l.p95).length / xs.length;
    const atOrBelow = xs.filter((x) => x <= l.p95).length / xs.length;
    const tol = 0.014 + 1 / xs.length;
    assert.ok(below <= 0.95 + tol && atOrBelow >= 0.95 - tol, `${l.service}@${l.start}: p95 ${l.p95} has rank ${below}..${atOrBelow}`);
  }
  assert.equal(health.length, ref.health.size);
  for (const h of health) {
    const want = ref.health.get(`${h.service}@${h.start}`)!;
    assert.deepEqual(
      { requests: h.requests, errors: h.errors, errorLogs: h.errorLogs, sampleError: h.sampleError, errorRate: h.errorRate },
      { requests: want.requests, errors: want.errors, errorLogs: want.errorLogs, sampleError: want.sample ? want.sample[1] : null, errorRate: want.errors / want.requests },
    );
  }
  const got = alerts.map((a) => ({ id: a.id, service: a.service, state: a.state, windowEnd: a.windowEnd }));
  const bySvc = (l: typeof got) => [...l].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : a.windowEnd - b.windowEnd));
  assert.deepEqual(bySvc(got), bySvc(ref.alerts));
  assert.ok(ref.alerts.filter((a) => a.state === 'firing').length >= 2, 'the input has incidents');
  assert.ok(ref.alerts.some((a) => a.state === 'resolved'));
  // Hysteresis: per service, firing and resolved alternate, starting with firing.
  for (const svc of new Set(got.map((a) => a.service))) {
    got.filter((a) => a.service === svc).forEach((a, i) => assert.equal(a.state, i % 2 === 0 ? 'firing' : 'resolved'));
  }
}

/** A webhook receiver on a free port that records every POST. */
async function receiver() {
  const posts: Array<{ headers: IncomingHttpHeaders; body: Alert }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      posts.push({ headers: req.headers, body: JSON.parse(body) as Alert });
      res.writeHead(202).end();
    });
  });
  // Long keep-alive: fetch reuses connections, and a server closing an idle one as a request goes out makes a retry.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
  return { posts, url, close: () => new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections(); // fetch keeps connections alive
    }) };
}

function checkPosts(posts: Array<{ headers: IncomingHttpHeaders; body: Alert }>, alerts: Alert[]): void {
  // Every alert POSTed, each with its idempotency key (a retry after a reset connection may repeat one: same key).
  const keys = posts.map((p) => p.headers['idempotency-key']);
  assert.equal(new Set(keys).size, alerts.length);
  for (const p of posts) assert.equal(p.headers['idempotency-key'], `${p.body.id}:${p.body.state}`);
  const key = (a: Alert) => `${a.id}:${a.state}`;
  assert.deepEqual([...new Set(posts.map((p) => key(p.body)))].sort(), alerts.map(key).sort());
}

test('monitoring: p95 latency, health, alerts with hysteresis and one webhook POST per alert (test driver)', async () => {
  const hook = await receiver();
  try {
    const records = input(12_000);
    const app = new StreamsApp({ applicationId: 'monitoring' });
    const sinks = monitoring(app, { webhookUrl: hook.url });
    const driver = new TopologyTestDriver(app, { partitions: { [TOPICS.requests]: 2, [TOPICS.logs]: 2 }, maxBatchSize: 101 });
    const inputs: Record<string, ReturnType<typeof driver.input<string, unknown>>> = { [TOPICS.requests]: driver.input<string, unknown>(TOPICS.requests), [TOPICS.logs]: driver.input<string, unknown>(TOPICS.logs) };
    for (const r of records) inputs[r.topic]!.pipe({ key: r.key, value: r.value, timestamp: r.timestamp });
    driver.drain();
    await driver.settle();
    assert.equal(driver.metrics().lateRecords, 0);
    assert.equal(driver.deadLetters().length, 0);
    const alerts = driver.output(sinks.alerts).readValues().map((v) => v!);
    check(records.map((r) => r.value), driver.output(sinks.latency).readValues().map((v) => v!), driver.output(sinks.health).readValues().map((v) => v!), alerts);
    checkPosts(hook.posts, alerts);
    const deliveries = driver.output(sinks.deliveries!).readValues();
    assert.equal(deliveries.length, alerts.length);
    assert.deepEqual(deliveries.filter((d) => d!.status !== 202), []);
    assert.ok(hook.posts.length <= deliveries.reduce((n, d) => n + d!.attempts, 0), 'no POST beyond the attempts made');
    driver.close();
  } finally {
    await hook.close();
  }
});

test('monitoring: a failing webhook is retried, then the alert is dead-lettered with the reason', async () => {
  let calls = 0;
  const server = createServer((req, res) => {
    calls++;
    req.resume().on('end', () => res.writeHead(calls <= 2 ? 503 : 400).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const app = new StreamsApp({ applicationId: 'monitoring' });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const sinks = monitoring(app, { webhookUrl: url, alerting: { fireAt: 0.5, resolveAt: 0.1, minRequests: 1 } });
    const driver = new TopologyTestDriver(app);
    const req = driver.input<string, RequestMetric>(TOPICS.requests);
    req.pipe({ key: 'auth', value: { service: 'auth', endpoint: '/x', latencyMs: 5, status: 503, ts: 1_000 } });
    driver.drain();
    await driver.settle();
    assert.equal(driver.output(sinks.alerts).readValues().length, 1, 'the alert fired');
    assert.equal(calls, 3, 'two 503s retried, the 400 is final');
    const dead = driver.deadLetters();
    assert.equal(dead.length, 1);
    const msg = dead[0]!.headers.find((h) => h.key === 'tributary.error.message')!.value!.toString();
    assert.match(msg, /webhook answered 400/);
    driver.close();
  } finally {
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
  }
});

test('monitoring: a bounded run on the embedded log gives the same results and POSTs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-ex-monitoring-'));
  const log = embedded({ dataDir: dir });
  const hook = await receiver();
  try {
    const records = input(12_000);
    await ensureTopics(log, [
      { name: TOPICS.requests, partitions: 2 },
      { name: TOPICS.logs, partitions: 2 },
    ]);
    await writeRecords(log, records);
    const app = new StreamsApp({ applicationId: 'monitoring', log });
    monitoring(app, { webhookUrl: hook.url });
    const summary = await app.run({ until: 'end', stateDir: join(dir, 'state') });
    assert.equal(summary.lateRecords, 0);
    const values = async <T>(topic: string) => (await readTopic(log, topic)).map((r) => JSON.parse(r.value!) as T);
    const alerts = await values<Alert>(TOPICS.alerts);
    check(records.map((r) => r.value), await values<LatencyStats>(TOPICS.latency), await values<ServiceHealth>(TOPICS.health), alerts);
    checkPosts(hook.posts, alerts);
    assert.equal((await values<unknown>(TOPICS.deliveries)).length, alerts.length);
  } finally {
    await hook.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
