import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, runCli } from './run-cli.js';

function tempDir(t: { after: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-produce-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('produce --file appends one record per line of the file; no progress bar when stderr is not a terminal', { timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'clicks.txt');
  writeFileSync(file, Array.from({ length: 2500 }, (_, i) => `user${i % 7}:page${i}\n`).join(''));
  assert.equal((await runCli(['topics', 'create', 'clicks', '--partitions', '3', '--data-dir', dir])).code, 0);
  const r = await runCli(['produce', 'clicks', '--file', file, '--key-separator', ':', '--data-dir', dir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { topic: 'clicks', produced: 2500 });
  assert.equal(r.stderr, 'Produced 2500 record(s) to clicks.\n');
  const c = await runCli(['consume', 'clicks', '--from-beginning', '--json', '--data-dir', dir]);
  const records = c.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; value: string });
  assert.equal(records.length, 2500);
  assert.deepEqual(new Set(records.map((x) => x.key)), new Set(Array.from({ length: 7 }, (_, i) => `user${i}`)));
});

test('produce --file of a missing file fails with exit 1', async (t) => {
  const dir = tempDir(t);
  assert.equal((await runCli(['topics', 'create', 'clicks', '--data-dir', dir])).code, 0);
  const r = await runCli(['produce', 'clicks', '--file', join(dir, 'nope.txt'), '--data-dir', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: ENOENT: no such file or directory/);
});

const hasScript = spawnSync('script', ['--version']).status === 0;

test('produce --file on a terminal shows a progress bar with the rate', { skip: hasScript ? false : 'util-linux `script` (a pseudo-terminal) is not installed', timeout: 600_000 }, async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'lines.txt');
  writeFileSync(file, Array.from({ length: 20_000 }, (_, i) => `line ${i}\n`).join(''));
  assert.equal((await runCli(['topics', 'create', 'lines', '--data-dir', dir])).code, 0);
  // `script` runs the command on a pseudo-terminal, as a person's shell would.
  const cmd = [process.execPath, BIN, 'produce', 'lines', '--file', file, '--data-dir', dir].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 500_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const screen = r.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '');
  assert.match(screen, /produce lines \[.*\] 100% \| \d+\/\d+ bytes \| 20000 records, \d+\/s/);
  assert.match(screen, /Produced 20000 record\(s\) to lines\./);
});
