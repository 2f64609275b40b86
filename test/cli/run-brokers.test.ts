import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './run-cli.js';
import { CliProcess, startCliBroker } from './run-cli-process.js';

const APP = fileURLToPath(new URL('./fixtures/word-lengths-app.ts', import.meta.url));

test('run --brokers: the app and its generator run on `tributary broker` over the Kafka protocol', { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-run-brokers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { broker, bootstrap } = await startCliBroker(t, join(dir, 'broker'));

  const run = new CliProcess(['run', APP, '--brokers', bootstrap, '--data-dir', join(dir, 'app'), '--json', '--log-level', 'warn', '--', '--count', '120']);
  t.after(() => {
    if (run.child.exitCode === null) run.kill('SIGKILL');
  });
  await run.waitForStderr(/fixture: all input committed/);
  run.kill('SIGINT');
  assert.equal(await run.exited, 130, run.stderr);
  const r = JSON.parse(run.stdout) as { records_in: Record<string, number>; records_out: Record<string, number> };
  assert.deepEqual(r.records_in, { words: 120 });
  assert.equal(r.records_out['long-words'], 45); // tree, quiet, morning: 3 of every 8 words

  // The app's group, as the broker's coordinator has it: every input offset committed.
  const g = await runCli(['groups', 'describe', 'word-lengths', '--bootstrap', bootstrap, '--json']);
  assert.equal(g.code, 0, g.stderr);
  const d = JSON.parse(g.stdout) as { total_lag: number; offsets: Array<{ committed_offset: number }> };
  assert.equal(d.offsets.reduce((s, o) => s + o.committed_offset, 0), 120);
  assert.equal(d.total_lag, 0);
  broker.kill('SIGTERM');
  await broker.exited;
});
