import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN } from './run-cli.js';

const APP = fileURLToPath(new URL('./fixtures/word-lengths-app.ts', import.meta.url));
const hasScript = spawnSync('script', ['--version']).status === 0;

test('run on a terminal shows a live status line with rates, cleared before the summary', { skip: hasScript ? false : 'util-linux `script` (a pseudo-terminal) is not installed', timeout: 600_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-run-tty-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cmd = [process.execPath, BIN, 'run', APP, '--duration', '4s', '--data-dir', dir, '--log-level', 'warn', '--', '--count', '100'].map((a) => `'${a}'`).join(' ');
  // `script` gives the command a pseudo-terminal, as a person's shell would.
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 500_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const screen = r.stdout.split('\r');
  assert.ok(screen.some((l) => /^\x1b\[Kword-lengths \d+s \| in \d+ \(\d+\/s\) \| out \d+ \(\d+\/s\) \| late 0 \| dead-lettered 0 \| Ctrl-C stops/.test(l)), r.stdout);
  // The line is cleared and the summary follows.
  assert.match(r.stdout, /\x1b\[KApplication word-lengths ran \d+\.\d s/);
});
