import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CliProcess } from '../cli/run-cli-process.js';
import { runCli } from '../cli/run-cli.js';
import { word } from '../cli/fixtures/word-lengths-app.js';
import { eventually, parseMetrics, sum } from './fixture.js';

const DASHBOARD_LINE = /Tributary dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/;

function dashboardUrl(p: CliProcess): string {
  return DASHBOARD_LINE.exec(p.stderr)![1]!;
}

test('tributary demo --ui-port 0 serves /metrics, the API and interactive queries while it runs', { timeout: 180_000 }, async () => {
  const p = new CliProcess(['demo', '--rate', '1000', '--duration', '120s', '--ui-port', '0']);
  try {
    await p.waitForStderr(DASHBOARD_LINE);
    const url = dashboardUrl(p);
    const overview = (await (await fetch(new URL('/api/overview', url))).json()) as { application: { applicationId: string; running: boolean } };
    assert.deepEqual(overview.application, { applicationId: 'tributary-demo', running: true, processingGuarantee: 'exactly-once' });
    const m = await eventually(async () => {
      const s = parseMetrics(await (await fetch(new URL('/metrics', url))).text());
      return sum(s, 'tributary_input_partition_records_in_total', { topic: 'clicks' }) > 0 && sum(s, 'tributary_records_out_total', { topic: 'error-events' }) > 0 ? s : undefined;
    }, 'the demo processing clicks');
    assert.equal(m.filter((s) => s.name === 'tributary_consumer_lag_records' && s.labels.topic === 'clicks').length, 4);
    const stores = (await (await fetch(new URL('/api/state', url))).json()) as { stores: Array<{ name: string }> };
    assert.deepEqual(stores.stores.map((s) => s.name).sort(), ['error-rate-aggregate', 'page-views-count', 'sessions-aggregate', 'trending-aggregate']);
    // The trending windows are keyed by 'site': one partition owns them all.
    const trending = await eventually(async () => {
      const r = (await (await fetch(new URL('/api/state/trending-aggregate?key=site', url))).json()) as { partitions: number[]; entries: Array<{ key: string; window: { start: number; end: number }; value: Record<string, number> }> };
      return r.entries.length > 0 ? r : undefined;
    }, 'a trending window');
    assert.equal(trending.partitions.length, 1);
    for (const e of trending.entries) {
      assert.equal(e.key, 'site');
      assert.equal(e.window.end - e.window.start, 60_000);
      assert.ok(Object.values(e.value).every((n) => Number.isInteger(n) && n > 0));
    }
  } finally {
    p.kill('SIGINT');
  }
  assert.equal(await p.exited, 130, p.stderr);
});

test('tributary run app.ts --ui-port 0: the metrics count exactly what the app read and wrote', { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-dash-run-'));
  const file = fileURLToPath(new URL('../cli/fixtures/word-lengths-app.ts', import.meta.url));
  const n = 300;
  const p = new CliProcess(['run', file, '--data-dir', dir, '--ui-port', '0', '--log-level', 'silent', '--', '--count', String(n)]);
  try {
    await p.waitForStderr(DASHBOARD_LINE);
    await p.waitForStderr(/fixture: all input committed/);
    const url = dashboardUrl(p);
    const m = parseMetrics(await (await fetch(new URL('/metrics', url))).text());
    assert.equal(sum(m, 'tributary_input_partition_records_in_total', { application: 'word-lengths', topic: 'words' }), n);
    const long = Array.from({ length: n }, (_, i) => word(i)).filter((w) => w.length > 3).length;
    assert.equal(sum(m, 'tributary_records_out_total', { application: 'word-lengths', topic: 'long-words' }), long);
    assert.equal(sum(m, 'tributary_operator_records_out_total', { application: 'word-lengths', operator: 'words-filter' }), long);
    const topology = (await (await fetch(new URL('/api/topology', url))).json()) as { nodes: Array<{ name: string; type: string }> };
    assert.deepEqual(topology.nodes.map((x) => x.type), ['source', 'filter', 'mapValues', 'sink']);
  } finally {
    p.kill('SIGINT');
    await p.exited;
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(p.child.exitCode, 130, p.stderr);
});

test('tributary broker --ui-port 0 serves the broker view', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-dash-broker-'));
  const p = new CliProcess(['broker', '--port', '0', '--data-dir', dir, '--ui-port', '0', '--log-level', 'silent']);
  try {
    await p.waitForStderr(DASHBOARD_LINE);
    const url = dashboardUrl(p);
    const overview = (await (await fetch(new URL('/api/overview', url))).json()) as { application: unknown; broker: { address: string } };
    assert.equal(overview.application, null);
    assert.match(overview.broker.address, /^127\.0\.0\.1:\d+$/);
    const m = parseMetrics(await (await fetch(new URL('/metrics', url))).text());
    assert.equal(sum(m, 'tributary_broker_connections'), 0);
    assert.ok(m.some((s) => s.name === 'process_resident_memory_bytes'));
  } finally {
    p.kill('SIGTERM');
    await p.exited;
    await rm(dir, { recursive: true, force: true });
  }
});

test('a dashboard on a non-loopback interface without a token is refused with a clear error', { timeout: 60_000 }, async () => {
  const r = await runCli(['demo', '--duration', '5s', '--ui-port', '0', '--ui-host', '0.0.0.0']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^error: DASHBOARD_TOKEN_REQUIRED: .*0\.0\.0\.0.*--ui-token/m);
});
