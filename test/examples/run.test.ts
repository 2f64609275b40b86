import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../../bin/tributary.js');

test('tributary run examples/analytics/app.ts --duration 5s: the built-in generator feeds the app and results come out', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-ex-run-'));
  try {
    const run = spawnSync(process.execPath, [BIN, 'run', 'examples/analytics/app.ts', '--duration', '5s', '--json', '--data-dir', dir, '--log-level', 'silent'], {
      cwd: join(import.meta.dirname, '../..'),
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop()!) as { records_in: Record<string, number>; records_out: Record<string, number>; late_records: number };
    assert.ok(summary.records_in['clicks']! > 0, 'the generator wrote clicks');
    assert.equal(summary.late_records, 0);
    const consume = spawnSync(process.execPath, [BIN, 'consume', 'page-stats', '--from-beginning', '--data-dir', dir], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(consume.status, 0, consume.stderr);
    const stats = consume.stdout.trim().split('\n').map((l) => JSON.parse(l) as { views: number; uniqueVisitors: number });
    assert.ok(stats.length > 0 && stats.length === summary.records_out['page-stats'], 'page stats were committed');
    assert.ok(stats.every((s) => s.views >= s.uniqueVisitors && s.uniqueVisitors >= 1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
